//! The stream outputs against strict loopback receivers (one test binary): syslog over plain
//! UDP and TCP ([`receive`]) and TLS ([`tls`]), Logstash over TCP and TLS ([`logstash`]),
//! Wavefront's proxy and direct API ([`wavefront`]), StatsD and DogStatsD ([`statsd`]);
//! [`common`] holds the receivers and parsers; [`recipe`] checks the family's recipe.

mod common;
mod logstash;
mod receive;
mod recipe;
mod statsd;
mod tls;
mod wavefront;
