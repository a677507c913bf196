//! Alertmanager: against the recording sink, and against a real Alertmanager on loopback.

mod contract;
mod real_alertmanager;
mod support;
