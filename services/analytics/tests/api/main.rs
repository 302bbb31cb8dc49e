//! Integration tests of the analytics service: the real service on port 0 with its own fresh
//! database and its own broker namespace, fed through RabbitMQ.

mod access;
mod case_types;
mod days;
mod early_warning;
mod granularity;
mod handlers;
mod helpers;
mod input;
mod kpis;
mod late_facts;
mod proactive;
mod queries;
mod report_edges;
mod reports;
mod rollups;
mod segments;
