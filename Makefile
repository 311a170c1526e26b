# Thin wrappers around the npm scripts, with the target names of the product spec.
.PHONY: install run-all start migrate-up seed test check lint bench compose-up compose-down codegen

install:
	npm install

run-all start:
	npm start

migrate-up:
	npm run migrate

seed:
	npm run seed

test:
	npm test

check:
	npm run check

lint:
	npm run lint

codegen:
	npm run codegen

bench:
	npm run bench

compose-up:
	docker compose up -d

compose-down:
	docker compose down
