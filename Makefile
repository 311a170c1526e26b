# Shop Mesh: the product spec's make targets, wrapping the npm scripts. `make help` lists them.
#
# migrate-up, seed and run-all target docker compose's infrastructure on this host by default: its published ports
# and development credentials. Every address can be overridden from the environment or on the command line, e.g.
#   make run-all KAFKA_BROKERS=127.0.0.1:40123 SMTP_URL=smtp://127.0.0.1:2500
# (`npm run kafka:mock` prints a KAFKA_BROKERS line for a cluster without Docker).
POSTGRES_URL ?= postgres://postgres:postgres@127.0.0.1:5432
REDIS_URL ?= redis://127.0.0.1:6379
KAFKA_BROKERS ?= 127.0.0.1:9094
OTEL_EXPORTER_OTLP_ENDPOINT ?= http://127.0.0.1:4318
SMTP_URL ?= smtp://127.0.0.1:1025
export POSTGRES_URL REDIS_URL KAFKA_BROKERS OTEL_EXPORTER_OTLP_ENDPOINT SMTP_URL

# Node 24 from the repository (PATH may have an older Node).
NODE = ./node_modules/.bin/node

# What `make infra-up` starts: everything the services need, without the services themselves.
INFRASTRUCTURE = postgres redis kafka otel-collector jaeger prometheus alertmanager grafana mailpit sms-simulator

.DEFAULT_GOAL := help
.PHONY: help install infra-up migrate-up seed run-all start kafka-mock test check lint codegen bench compose-up \
	compose-down

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{ printf "  make %-12s %s\n", $$1, $$2 }'
	@echo "  (addresses: POSTGRES_URL=$(shell printf '%s' '$(POSTGRES_URL)' | sed -E 's#//[^@/]*@#//#') \
	REDIS_URL=$(REDIS_URL) KAFKA_BROKERS=$(KAFKA_BROKERS)"
	@echo "   OTEL_EXPORTER_OTLP_ENDPOINT=$(OTEL_EXPORTER_OTLP_ENDPOINT) SMTP_URL=$(SMTP_URL); override with VAR=...)"

install: ## install dependencies (brings Node 24 and the Kafka client's native binding)
	npm install

infra-up: ## start compose's infrastructure only (PostgreSQL, Redis, Kafka, tracing, metrics, Mailpit, SMS simulator)
	docker compose up -d $(INFRASTRUCTURE)

migrate-up: ## apply every service's migrations, and the event log's, to POSTGRES_URL
	$(NODE) scripts/check-infrastructure.ts postgres
	npm run migrate

seed: ## load 10,000 products into the product database on POSTGRES_URL (listed at once by running services)
	$(NODE) scripts/check-infrastructure.ts postgres
	npm run seed

run-all: ## run every service on this host, distributed: PostgreSQL, Redis, Kafka, OTLP and SMTP at the addresses above
	$(NODE) scripts/check-infrastructure.ts postgres kafka redis otlp smtp
	npm start

start: ## run the platform embedded (no servers needed), as `npm start`
	env -u POSTGRES_URL -u REDIS_URL -u KAFKA_BROKERS -u OTEL_EXPORTER_OTLP_ENDPOINT -u SMTP_URL npm start

kafka-mock: ## a Kafka-protocol cluster on loopback without Docker (in memory; prints KAFKA_BROKERS=...)
	npm run kafka:mock

test: ## every test
	npm test

check: ## type-check the whole repository
	npm run check

lint: ## oxlint and the formatting check
	npm run lint

codegen: ## regenerate the gRPC stubs
	npm run codegen

bench: ## benchmarks against a running platform
	npm run bench

compose-up: ## everything in containers (builds the images)
	docker compose up -d --build

compose-down: ## stop compose
	docker compose down
