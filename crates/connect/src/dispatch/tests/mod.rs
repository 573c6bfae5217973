//! Dispatcher tests: policy and breaker units, and end-to-end runs against loopback receivers on SQLite
//! and (when `CROSSDOCK_TEST_PG_URL` is set) PostgreSQL. Every wait is bounded in count and time.

mod batching;
mod breaker_and_retry;
mod circuit;
mod config_bridge;
mod end_to_end;
mod harness;
mod mapping_errors;
mod receiver;
mod throughput;
mod two_processes;
