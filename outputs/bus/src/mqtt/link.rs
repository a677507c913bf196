//! The one long-lived broker connection of an instance: a task drives rumqttc's event loop
//! (connect, keep-alive pings, reconnect with backoff) and matches the broker's
//! acknowledgements to the publishes waiting for them.
//!
//! rumqttc numbers a publish when it writes it and reports that as
//! `Outgoing::Publish(pkid)`, in the order the publishes were requested. Each publish request
//! is queued here, under one lock, together with the sender that completes it, so the n-th
//! outgoing publish is the n-th waiter: QoS 0 completes then, QoS 1 on the PUBACK, QoS 2 on
//! the PUBCOMP of its packet id. When the connection fails, every waiting publish fails with
//! it and rumqttc's retransmission queue is emptied: the delivery core decides what to send
//! again, so nothing is delivered twice by two retry mechanisms.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use falconer_core::SendError;
use rumqttc::{
    AsyncClient, ConnectReturnCode, ConnectionError, Event, EventLoop, MqttOptions, Outgoing,
    Packet, QoS,
};
use tokio::sync::{oneshot, watch, Notify};

/// Publishes per batch at most (each batch waits for all its acknowledgements); the
/// client's request queue holds four batches.
pub(crate) const MAX_BATCH: usize = 256;
/// First wait after a failed connection.
const MIN_BACKOFF: Duration = Duration::from_millis(100);
/// Longest wait between two connection attempts nobody asked for.
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// How long a send waits for a connection in progress.
const CONNECT_WAIT: Duration = Duration::from_secs(5);

/// Why the connection is down.
#[derive(Clone, Debug)]
pub(crate) struct Failure {
    /// The broker refused us for good (bad credentials, not authorized).
    pub permanent: bool,
    /// What happened.
    pub message: String,
}

impl Failure {
    fn of(e: &ConnectionError) -> Failure {
        let permanent = matches!(
            e,
            ConnectionError::ConnectionRefused(
                ConnectReturnCode::BadUserNamePassword
                    | ConnectReturnCode::NotAuthorized
                    | ConnectReturnCode::BadClientId
                    | ConnectReturnCode::RefusedProtocolVersion
            )
        );
        Failure {
            permanent,
            message: e.to_string(),
        }
    }

    /// The error the delivery core classifies: refusals are final, the rest is retried.
    pub(crate) fn to_send_error(&self) -> SendError {
        if self.permanent {
            SendError::Rejected(format!(
                "MQTT broker refused the connection: {}",
                self.message
            ))
        } else {
            SendError::Connect(format!("MQTT broker: {}", self.message).into())
        }
    }
}

/// The connection as senders see it.
#[derive(Clone, Debug)]
enum State {
    /// A connection attempt is under way.
    Connecting,
    /// Connected (CONNACK received).
    Up,
    /// The last attempt failed; the driver waits before the next one.
    Down(Failure),
}

type Done = oneshot::Sender<Result<(), Failure>>;

/// Publishes waiting for the broker, and the connection state (changed only under this lock).
#[derive(Default)]
struct Waiting {
    /// Requested, not yet written: (QoS, completion), in request order.
    unsent: VecDeque<(QoS, Done)>,
    /// Written with QoS 1 or 2, by packet id.
    unacked: HashMap<u16, Done>,
}

impl Waiting {
    /// rumqttc wrote (or, after a packet id collision, numbered) the next publish.
    fn sent(&mut self, pkid: u16) {
        if pkid != 0 && self.unacked.contains_key(&pkid) {
            // The delayed write of a publish numbered earlier (a packet id collision).
            return;
        }
        match self.unsent.pop_front() {
            Some((QoS::AtMostOnce, done)) => {
                let _ = done.send(Ok(()));
            }
            Some((_, done)) => {
                self.unacked.insert(pkid, done);
            }
            None => tracing::debug!(pkid, "MQTT publish without a waiting sender"),
        }
    }

    fn acked(&mut self, pkid: u16) {
        if let Some(done) = self.unacked.remove(&pkid) {
            let _ = done.send(Ok(()));
        }
    }

    fn fail_all(&mut self, failure: &Failure) {
        for (_, done) in self.unsent.drain(..) {
            let _ = done.send(Err(failure.clone()));
        }
        for (_, done) in self.unacked.drain() {
            let _ = done.send(Err(failure.clone()));
        }
    }
}

struct Shared {
    waiting: Mutex<Waiting>,
    state: watch::Sender<State>,
    /// Asks the driver to try connecting now instead of at the end of its backoff.
    wake: Notify,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Waiting> {
        // A panic while holding the lock leaves consistent data: keep going.
        self.waiting.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The connection of one output instance; dropping it stops the driver task.
pub(crate) struct Link {
    client: AsyncClient,
    shared: Arc<Shared>,
    _stop: oneshot::Sender<()>,
}

impl Link {
    /// Starts the driver task (it connects in the background: a broker that is down does not
    /// delay startup).
    pub(crate) fn start(options: MqttOptions, name: String) -> Link {
        let (client, eventloop) = AsyncClient::new(options, MAX_BATCH * 4);
        let shared = Arc::new(Shared {
            waiting: Mutex::new(Waiting::default()),
            state: watch::channel(State::Connecting).0,
            wake: Notify::new(),
        });
        let (stop, stopped) = oneshot::channel();
        tokio::spawn(drive(eventloop, shared.clone(), stopped, name));
        Link {
            client,
            shared,
            _stop: stop,
        }
    }

    /// Waits until connected: at once when up, up to [`CONNECT_WAIT`] while connecting; when
    /// the last attempt failed, asks for a new attempt now and returns its failure if it fails
    /// again.
    pub(crate) async fn ready(&self) -> Result<(), SendError> {
        let mut state = self.shared.state.subscribe();
        let mut asked = false;
        loop {
            let current = state.borrow_and_update().clone();
            match current {
                State::Up => return Ok(()),
                State::Connecting => {}
                State::Down(failure) if asked || failure.permanent => {
                    return Err(failure.to_send_error())
                }
                State::Down(_) => {
                    self.shared.wake.notify_one();
                    asked = true;
                }
            }
            match tokio::time::timeout(CONNECT_WAIT, state.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => return Err(SendError::Connect("MQTT driver stopped".into())),
                Err(_) => return Err(SendError::Timeout(CONNECT_WAIT)),
            }
        }
    }

    /// Queues one publish; the receiver completes when the broker has it (QoS 1/2) or when it
    /// is written (QoS 0), or fails with the connection.
    pub(crate) fn publish(
        &self,
        topic: &str,
        qos: QoS,
        retain: bool,
        payload: &[u8],
    ) -> Result<oneshot::Receiver<Result<(), Failure>>, SendError> {
        let mut waiting = self.shared.lock();
        if let State::Down(failure) = &*self.shared.state.borrow() {
            return Err(failure.to_send_error());
        }
        let (done, completion) = oneshot::channel();
        waiting.unsent.push_back((qos, done));
        if let Err(e) = self.client.try_publish(topic, qos, retain, payload) {
            waiting.unsent.pop_back();
            return Err(SendError::Other(
                format!("MQTT client busy, publish not queued: {e}").into(),
            ));
        }
        Ok(completion)
    }
}

/// Sets the state; the caller holds the waiting lock.
fn set_state(shared: &Shared, state: State) {
    shared.state.send_replace(state);
}

async fn drive(
    mut eventloop: EventLoop,
    shared: Arc<Shared>,
    mut stop: oneshot::Receiver<()>,
    name: String,
) {
    let mut backoff = MIN_BACKOFF;
    let mut was_up = false;
    loop {
        let event = tokio::select! {
            _ = &mut stop => break,
            event = eventloop.poll() => event,
        };
        match event {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                let _guard = shared.lock();
                set_state(&shared, State::Up);
                backoff = MIN_BACKOFF;
                was_up = true;
                tracing::info!(output = %name, "connected to the MQTT broker");
            }
            Ok(Event::Outgoing(Outgoing::Publish(pkid) | Outgoing::AwaitAck(pkid))) => {
                shared.lock().sent(pkid);
            }
            Ok(Event::Incoming(Packet::PubAck(ack))) => shared.lock().acked(ack.pkid),
            Ok(Event::Incoming(Packet::PubComp(comp))) => shared.lock().acked(comp.pkid),
            Ok(_) => {}
            Err(e) => {
                let failure = Failure::of(&e);
                if was_up {
                    tracing::warn!(output = %name, error = %e, "MQTT connection lost");
                } else {
                    tracing::debug!(output = %name, error = %e, "MQTT connection failed");
                }
                was_up = false;
                {
                    let mut waiting = shared.lock();
                    // Requests that entered the channel since the event loop emptied it, then
                    // everything rumqttc kept to retransmit: the waiters fail below and the
                    // core sends those alerts again.
                    eventloop.clean();
                    eventloop.pending.clear();
                    waiting.fail_all(&failure);
                    set_state(&shared, State::Down(failure));
                }
                tokio::select! {
                    _ = &mut stop => break,
                    _ = tokio::time::sleep(backoff) => {}
                    _ = shared.wake.notified() => {}
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
                let _guard = shared.lock();
                set_state(&shared, State::Connecting);
            }
        }
    }
    tracing::debug!(output = %name, "MQTT driver stopped");
}
