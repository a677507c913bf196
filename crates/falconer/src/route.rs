//! `falconer route -c CONFIG ALERT.json` (`-` for standard input): for one alert, every
//! output of the configuration with "sent" or the reason it is not, by the routes, filters
//! and silences of the file. Noise control is named, not applied (its windows are empty in
//! a fresh process); silences created through the API live in the UI store and are not read.

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

use falconer_event::{Alert, Enricher};
use falconer_policy::{Policy, Silences};

/// Prints the routing of the alert in `alert_file`; exit 0 once printed, 1 when the config
/// or the alert cannot be read.
pub fn route(config_file: Option<&Path>, alert_file: &Path) -> ExitCode {
    match explain(config_file, alert_file) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

fn read_alert(alert_file: &Path) -> Result<Vec<u8>, String> {
    if alert_file == Path::new("-") {
        let mut body = Vec::new();
        std::io::stdin()
            .read_to_end(&mut body)
            .map_err(|e| format!("cannot read the alert from standard input: {e}"))?;
        Ok(body)
    } else {
        std::fs::read(alert_file)
            .map_err(|e| format!("cannot read the alert {}: {e}", alert_file.display()))
    }
}

fn explain(config_file: Option<&Path>, alert_file: &Path) -> Result<String, String> {
    let (config, _) = crate::startup::load_and_plan(config_file)
        .map_err(|problems| format!("Invalid configuration:\n{problems}"))?;
    let body = read_alert(alert_file)?;
    let mut alert = Alert::decode(&body).map_err(|e| format!("not a Falco alert: {e}"))?;
    let enricher = Enricher::new(&config.global.enrich_settings())
        .map_err(|e| format!("Invalid configuration: {e}"))?;
    let _ = enricher.enrich(&mut alert, uuid::Uuid::nil());
    let now = chrono::Utc::now();
    let policy =
        Policy::compile(&config, now).map_err(|e| format!("Invalid configuration:\n{e}"))?;
    let silences = Silences::new(policy.config_silences().to_vec());
    let explanations = policy.explain(&alert, &silences, now);
    let width = explanations
        .iter()
        .map(|e| e.output.len())
        .max()
        .unwrap_or(0);
    let mut text = format!(
        "alert: rule {:?}, priority {}, source {}, hostname {:?}\n",
        alert.rule,
        alert.priority.as_lower_str(),
        alert.source,
        alert.hostname
    );
    for e in explanations {
        text.push_str(&format!("{:width$}  {}\n", e.output, e.reason));
    }
    Ok(text)
}
