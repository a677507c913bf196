//! falcosidekick's colours by priority, per service.

use falconer_event::Priority;

/// Slack, Mattermost and Rocket.Chat attachment colour (`Critical` and `Alert` share orange,
/// `Error` and `Emergency` red, as in falcosidekick).
pub fn attachment_colour(priority: Priority) -> &'static str {
    match priority {
        Priority::Emergency | Priority::Error => "#e20b0b",
        Priority::Alert | Priority::Critical => "#ff5400",
        Priority::Warning => "#ffc700",
        Priority::Notice => "#5bffb5",
        Priority::Informational => "#68c2ff",
        Priority::Debug => "#ccfff2",
    }
}

/// Teams MessageCard `themeColor` (hex without `#`).
pub fn teams_colour(priority: Priority) -> &'static str {
    match priority {
        Priority::Emergency => "e20b0b",
        Priority::Alert => "ff5400",
        Priority::Critical => "ff9000",
        Priority::Error => "ffc700",
        Priority::Warning => "ffff00",
        Priority::Notice => "5bffb5",
        Priority::Informational => "68c2ff",
        Priority::Debug => "ccfff2",
    }
}

/// Discord embed colour, a decimal RGB value written as a JSON string (as falcosidekick
/// sends it).
pub fn discord_colour(priority: Priority) -> &'static str {
    match priority {
        Priority::Emergency => "15158332",
        Priority::Alert => "11027200",
        Priority::Critical => "15105570",
        Priority::Error => "15844367",
        Priority::Warning => "12745742",
        Priority::Notice => "3066993",
        Priority::Informational => "3447003",
        Priority::Debug => "12370112",
    }
}
