//! The `broker` address as falcosidekick (paho) takes it: `tcp://host:1883`,
//! `ssl://host:8883`, with the aliases `mqtt://`, `tls://`, `mqtts://` and `tcps://`.

/// Where the broker is and whether to speak TLS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Broker {
    /// Host name or IP address (IPv6 without brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// TLS (`ssl://`).
    pub tls: bool,
}

impl Broker {
    /// Parses `tcp://host[:port]`, `ssl://host[:port]` (the port defaults to 1883, or 8883
    /// with TLS); an address without a scheme is `tcp://`.
    pub(crate) fn parse(url: &str) -> Result<Broker, String> {
        let url = url.trim();
        let (scheme, rest) = url.split_once("://").unwrap_or(("tcp", url));
        let tls = match scheme.to_ascii_lowercase().as_str() {
            "tcp" | "mqtt" => false,
            "ssl" | "tls" | "mqtts" | "tcps" => true,
            other => {
                return Err(format!(
                    "scheme {other:?} is not supported (tcp://, mqtt://, ssl://, tls://, mqtts://)"
                ))
            }
        };
        // Drop a trailing path; paho ignores it for TCP brokers.
        let authority = rest.split('/').next().unwrap_or_default();
        if authority.contains('@') {
            return Err("credentials go in user and password, not in the broker URL".into());
        }
        let default_port = if tls { 8883 } else { 1883 };
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6
                .split_once(']')
                .ok_or_else(|| format!("{authority:?}: unclosed [ in an IPv6 address"))?;
            let port = match after.strip_prefix(':') {
                Some(p) => parse_port(p)?,
                None if after.is_empty() => default_port,
                None => return Err(format!("{authority:?} is not host:port")),
            };
            (host, port)
        } else {
            match authority.rsplit_once(':') {
                Some((host, p)) => (host, parse_port(p)?),
                None => (authority, default_port),
            }
        };
        if host.is_empty() {
            return Err(format!("{url:?} has no host"));
        }
        Ok(Broker {
            host: host.to_owned(),
            port,
            tls,
        })
    }
}

fn parse_port(p: &str) -> Result<u16, String> {
    match p.parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(format!("{p:?} is not a port")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(host: &str, port: u16, tls: bool) -> Broker {
        Broker {
            host: host.into(),
            port,
            tls,
        }
    }

    #[test]
    fn falcosidekick_broker_addresses_parse() {
        assert_eq!(
            Broker::parse("tcp://broker:1883"),
            Ok(b("broker", 1883, false))
        );
        assert_eq!(
            Broker::parse("ssl://broker.example.com:8884"),
            Ok(b("broker.example.com", 8884, true))
        );
        assert_eq!(Broker::parse("ssl://broker"), Ok(b("broker", 8883, true)));
        assert_eq!(
            Broker::parse("mqtt://10.0.0.1"),
            Ok(b("10.0.0.1", 1883, false))
        );
        assert_eq!(Broker::parse("mqtts://h:1"), Ok(b("h", 1, true)));
        assert_eq!(Broker::parse("TLS://h:2/"), Ok(b("h", 2, true)));
        assert_eq!(
            Broker::parse("localhost:1883"),
            Ok(b("localhost", 1883, false))
        );
        assert_eq!(Broker::parse("tcp://[::1]:1884"), Ok(b("::1", 1884, false)));
        assert_eq!(Broker::parse("ssl://[::1]"), Ok(b("::1", 8883, true)));
    }

    #[test]
    fn bad_addresses_are_refused() {
        for bad in [
            "ws://h:80",
            "tcp://:1883",
            "tcp://h:port",
            "tcp://h:0",
            "tcp://u:p@h:1883",
            "tcp://[::1",
            "",
        ] {
            assert!(Broker::parse(bad).is_err(), "{bad:?} parsed");
        }
    }
}
