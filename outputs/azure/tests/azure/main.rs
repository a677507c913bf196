//! The Azure outputs against recording sinks: Entra ID token requests for each credential,
//! the Event Hubs request for one event and for a batch, classification, a refused token
//! renewed, env variables, the family recipe. One test binary.

mod eventhub;
mod recipe;
