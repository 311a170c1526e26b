-- Runs once, on the first start of an empty PostgreSQL volume (docker-entrypoint-initdb.d).
-- One database per service (no service reads another's tables), plus the event log used when Kafka is off.
CREATE DATABASE shop_product;
CREATE DATABASE shop_order;
CREATE DATABASE shop_payment;
CREATE DATABASE shop_notification;
CREATE DATABASE shop_events;

-- Grafana's "Orders" data source reads the order database, and nothing else, through this role.
CREATE ROLE grafana_reader LOGIN PASSWORD 'grafana_reader';
REVOKE ALL ON DATABASE shop_product, shop_payment, shop_notification, shop_events FROM PUBLIC;
\connect shop_order
GRANT CONNECT ON DATABASE shop_order TO grafana_reader;
GRANT USAGE ON SCHEMA public TO grafana_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT SELECT ON TABLES TO grafana_reader;
