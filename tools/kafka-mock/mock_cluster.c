/*
 * librdkafka's mock Kafka cluster on loopback, driven over stdin so that tests can fail its brokers.
 *
 * Prints "bootstrap <host:port,...>" once the brokers listen, then reads one command per line and answers "ok" or
 * "error <reason>":
 *   down <broker-id>   disconnect the broker and refuse new connections (-1: every broker)
 *   up <broker-id>     accept connections again (-1: every broker)
 *   leader <topic> <partition> <broker-id>
 *                      move a partition's leadership
 * Exits when stdin closes, so the cluster never outlives the test that started it.
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void reply(rd_kafka_resp_err_t err) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) printf("ok\n");
  else printf("error %s\n", rd_kafka_err2str(err));
  fflush(stdout);
}

int main(int argc, char **argv) {
  int brokers = argc > 1 ? atoi(argv[1]) : 3;
  char errstr[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "4", errstr, sizeof(errstr));
  /* The mock cluster needs a client instance for its bookkeeping; this one never connects anywhere. */
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (rk == NULL) {
    fprintf(stderr, "rd_kafka_new: %s\n", errstr);
    return 1;
  }
  rd_kafka_mock_cluster_t *cluster = rd_kafka_mock_cluster_new(rk, brokers);
  if (cluster == NULL) {
    fprintf(stderr, "rd_kafka_mock_cluster_new failed\n");
    return 1;
  }
  printf("bootstrap %s\n", rd_kafka_mock_cluster_bootstraps(cluster));
  fflush(stdout);

  char line[1024];
  while (fgets(line, sizeof(line), stdin) != NULL) {
    char command[16] = {0}, topic[512] = {0};
    int id = 0, partition = 0;
    if (sscanf(line, "down %d", &id) == 1) {
      reply(rd_kafka_mock_broker_set_down(cluster, id));
    } else if (sscanf(line, "up %d", &id) == 1) {
      reply(rd_kafka_mock_broker_set_up(cluster, id));
    } else if (sscanf(line, "leader %511s %d %d", topic, &partition, &id) == 3) {
      reply(rd_kafka_mock_partition_set_leader(cluster, topic, partition, id));
    } else if (sscanf(line, "%15s", command) == 1) {
      printf("error unknown command %s\n", command);
      fflush(stdout);
    }
  }
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(rk);
  return 0;
}
