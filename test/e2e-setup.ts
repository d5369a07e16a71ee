// e2e tests start brokers, PostgreSQL schemas and Kafka consumers: give them room.
jest.setTimeout(120000);
