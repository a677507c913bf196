//! The HTTP keys every HTTP kind shares (falcosidekick's `customheaders`, `checkcert`,
//! `mutualtls`), embedded in a kind's config with [`http_config!`](crate::http_config).
//!
//! Why a macro and not a plain `#[serde(flatten)]`: the config loader needs each kind's key
//! list (to map `WEBHOOK_CHECKCERT` and `<key>file` secrets onto keys), which serde only
//! exposes for structs without `flatten`; a flattened struct also loses the loader's
//! Go-style coercions (`"false"` from an env var is a string), the key of a bad value in error
//! paths, and the list of accepted keys in "unknown field" messages. The macro keeps the
//! `#[serde(flatten)] pub http: HttpKeys` line of the struct as written and deserializes
//! through a private struct in which the keys stand as ordinary fields, at the place of the
//! marker: keys, defaults, coercions, paths and messages are those of a hand-written struct.

use std::collections::BTreeMap;

/// `serde(default)` for keys that default to true (`checkcert`).
pub fn default_true() -> bool {
    true
}

/// falcosidekick's per-output HTTP keys: `customheaders`, `checkcert` (default true) and
/// `mutualtls`. `Debug` prints header names only: custom headers often carry credentials.
#[derive(Clone)]
pub struct HttpKeys {
    /// Verify the server's certificate (`checkcert`, default true). Never turned off
    /// silently: a warning is logged when it is.
    pub checkcert: bool,
    /// Present a client certificate (`mutualtls`).
    pub mutualtls: bool,
    /// Headers added to every request, after the defaults (so they may override them).
    pub customheaders: BTreeMap<String, String>,
}

/// The former name of [`HttpKeys`] (the `webui` output still uses it).
pub type HttpClientSettings = HttpKeys;

impl Default for HttpKeys {
    fn default() -> Self {
        TlsKeys::default().into()
    }
}

impl std::fmt::Debug for HttpKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClientSettings")
            .field("checkcert", &self.checkcert)
            .field("mutualtls", &self.mutualtls)
            .field(
                "customheaders",
                &self.customheaders.keys().collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl HttpKeys {
    /// Pushes a problem for every custom header that is not valid HTTP
    /// (`customheaders.<name>`).
    pub fn validate(&self, problems: &mut falconer_core::Problems) {
        for name in self.invalid_headers() {
            problems.push(
                format!("customheaders.{name}"),
                "invalid header name or value",
            );
        }
    }
}

/// The TLS keys of HTTP kinds without custom headers: `checkcert` (default true) and
/// `mutualtls`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TlsKeys {
    /// Verify the server's certificate.
    pub checkcert: bool,
    /// Present a client certificate.
    pub mutualtls: bool,
}

impl Default for TlsKeys {
    fn default() -> Self {
        TlsKeys {
            checkcert: true,
            mutualtls: false,
        }
    }
}

impl From<TlsKeys> for HttpKeys {
    fn from(tls: TlsKeys) -> Self {
        HttpKeys {
            checkcert: tls.checkcert,
            mutualtls: tls.mutualtls,
            customheaders: BTreeMap::new(),
        }
    }
}

impl TlsKeys {
    /// These keys with no custom headers.
    pub fn http(&self) -> HttpKeys {
        (*self).into()
    }

    /// These keys with `customheaders` (a kind whose `customheaders` key stands apart from
    /// its TLS keys).
    pub fn with_headers(&self, customheaders: BTreeMap<String, String>) -> HttpKeys {
        HttpKeys {
            customheaders,
            ..self.http()
        }
    }
}

/// Declares an HTTP kind's config struct that embeds the shared keys with a
/// `#[serde(flatten)]` field of type [`HttpKeys`] (`customheaders`, `checkcert`, `mutualtls`)
/// or [`TlsKeys`] (`checkcert`, `mutualtls`), and implements `Deserialize` for it.
///
/// ```
/// use falconer_http::{http_config, HttpKeys};
///
/// fn default_method() -> String {
///     "POST".into()
/// }
///
/// http_config! {
///     /// One instance.
///     #[derive(Debug)]
///     #[serde(deny_unknown_fields)]
///     pub struct HookConfig {
///         /// Where to.
///         pub address: String,
///         /// How.
///         #[serde(default = "default_method")]
///         pub method: String,
///         /// The shared keys.
///         #[serde(flatten)]
///         pub http: HttpKeys,
///     }
/// }
///
/// let block = serde_json::json!({"address": "http://h/", "checkcert": "false"});
/// let config: HookConfig = falconer_config::from_value(block).unwrap();
/// assert!(!config.http.checkcert);
/// assert_eq!(
///     falconer_config::fields_of::<HookConfig>(),
///     ["address", "method", "customheaders", "checkcert", "mutualtls"]
/// );
/// ```
///
/// Written like an ordinary struct, with two rules: a field's doc comments come before its
/// `#[serde(..)]` attributes, and container attributes other than `#[serde(..)]` apply to the
/// struct only (`#[serde(..)]` ones to its deserialization); `HttpKeys` or `TlsKeys` is named
/// as written, so it must be in scope. The keys are deserialized in place
/// of the marker as ordinary fields: the config loader sees them in the kind's key list, env
/// variables coerce as for any key, and errors name the key.
#[macro_export]
macro_rules! http_config {
    (
        $(#[$($attr:tt)*])*
        $vis:vis struct $name:ident $(<$($gen:ident),+ $(,)?>)? { $($body:tt)* }
    ) => {
        $crate::http_config!(@attrs
            outer [] serde []
            attrs [$(#[$($attr)*])*]
            head [$vis struct $name [$($($gen),+)?]]
            body [$($body)*]
        );
    };

    // Container attributes: `#[serde(..)]` to the private struct, the rest to the struct.
    (@attrs outer [$($o:tt)*] serde [$($s:tt)*]
        attrs [#[serde $args:tt] $($rest:tt)*] head $head:tt body $body:tt) => {
        $crate::http_config!(@attrs outer [$($o)*] serde [$($s)* #[serde $args]]
            attrs [$($rest)*] head $head body $body);
    };
    (@attrs outer [$($o:tt)*] serde [$($s:tt)*]
        attrs [#[$($a:tt)*] $($rest:tt)*] head $head:tt body $body:tt) => {
        $crate::http_config!(@attrs outer [$($o)* #[$($a)*]] serde [$($s)*]
            attrs [$($rest)*] head $head body $body);
    };
    (@attrs outer $outer:tt serde $serde:tt attrs [] head $head:tt body [$($body:tt)*]) => {
        $crate::http_config!(@fields outer $outer serde $serde head $head
            fields [] raw [] plain [] http [] tls []
            body [$($body)*]);
    };

    // The `HttpKeys` marker.
    (@fields outer $outer:tt serde $serde:tt head $head:tt
        fields [$($f:tt)*] raw [$($r:tt)*] plain $plain:tt http [$($h:ident)*] tls $tls:tt
        body [$(#[doc = $doc:expr])* #[serde(flatten)] $fvis:vis $field:ident : HttpKeys
            $(, $($rest:tt)*)?]) => {
        $crate::http_config!(@fields outer $outer serde $serde head $head
            fields [$($f)* $(#[doc = $doc])* $fvis $field: HttpKeys,]
            raw [$($r)*
                #[serde(default)]
                customheaders: ::std::collections::BTreeMap<
                    ::std::string::String,
                    ::std::string::String,
                >,
                #[serde(default = "falconer_http::default_true")]
                checkcert: bool,
                #[serde(default)]
                mutualtls: bool,
            ]
            plain $plain http [$($h)* $field] tls $tls
            body [$($($rest)*)?]);
    };
    // The `TlsKeys` marker.
    (@fields outer $outer:tt serde $serde:tt head $head:tt
        fields [$($f:tt)*] raw [$($r:tt)*] plain $plain:tt http $http:tt tls [$($t:ident)*]
        body [$(#[doc = $doc:expr])* #[serde(flatten)] $fvis:vis $field:ident : TlsKeys
            $(, $($rest:tt)*)?]) => {
        $crate::http_config!(@fields outer $outer serde $serde head $head
            fields [$($f)* $(#[doc = $doc])* $fvis $field: TlsKeys,]
            raw [$($r)*
                #[serde(default = "falconer_http::default_true")]
                checkcert: bool,
                #[serde(default)]
                mutualtls: bool,
            ]
            plain $plain http $http tls [$($t)* $field]
            body [$($($rest)*)?]);
    };
    // An ordinary field.
    (@fields outer $outer:tt serde $serde:tt head $head:tt
        fields [$($f:tt)*] raw [$($r:tt)*] plain [$($p:ident)*] http $http:tt tls $tls:tt
        body [$(#[doc = $doc:expr])* $(#[serde $args:tt])* $fvis:vis $field:ident : $ty:ty
            $(, $($rest:tt)*)?]) => {
        $crate::http_config!(@fields outer $outer serde $serde head $head
            fields [$($f)* $(#[doc = $doc])* $fvis $field: $ty,]
            raw [$($r)* $(#[serde $args])* $field: $ty,]
            plain [$($p)* $field] http $http tls $tls
            body [$($($rest)*)?]);
    };
    // Every field read: the struct, and its deserialization through the private struct.
    (@fields outer [$($outer:tt)*] serde [$($serde:tt)*]
        head [$vis:vis struct $name:ident [$($gen:ident),*]]
        fields [$($fields:tt)*] raw [$($raw:tt)*]
        plain [$($plain:ident)*] http [$($http:ident)*] tls [$($tls:ident)*]
        body []) => {
        $($outer)*
        $vis struct $name<$($gen),*> {
            $($fields)*
        }

        impl<'de, $($gen),*> ::serde::Deserialize<'de> for $name<$($gen),*> {
            fn deserialize<D>(deserializer: D) -> ::std::result::Result<Self, D::Error>
            where
                D: ::serde::Deserializer<'de>,
            {
                // Named as the struct, so serde's messages ("expected struct X") stay its.
                #[derive(::serde::Deserialize)]
                $($serde)*
                struct $name<$($gen),*> {
                    $($raw)*
                }
                let raw = <$name<$($gen),*> as ::serde::Deserialize>::deserialize(deserializer)?;
                ::std::result::Result::Ok(Self {
                    $($plain: raw.$plain,)*
                    $($http: $crate::HttpKeys {
                        customheaders: raw.customheaders,
                        checkcert: raw.checkcert,
                        mutualtls: raw.mutualtls,
                    },)*
                    $($tls: $crate::TlsKeys {
                        checkcert: raw.checkcert,
                        mutualtls: raw.mutualtls,
                    },)*
                })
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::marker::PhantomData;

    use serde::Deserialize;
    use serde_json::{json, Value};

    use super::{HttpKeys, TlsKeys};

    fn default_method() -> String {
        "POST".into()
    }

    crate::http_config! {
        /// Keys in the middle, a generic parameter and a skipped field.
        #[derive(Debug)]
        #[serde(deny_unknown_fields, bound = "")]
        pub struct Embedded<S> {
            /// Required.
            pub address: String,
            /// With a default.
            #[serde(default = "default_method")]
            pub method: String,
            /// The shared keys.
            #[serde(flatten)]
            pub http: HttpKeys,
            /// After the keys.
            #[serde(default, rename = "type")]
            pub kind: Vec<String>,
            #[serde(skip)]
            marker: PhantomData<S>,
        }
    }

    /// [`Embedded`] written out by hand.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Written {
        pub address: String,
        #[serde(default = "default_method")]
        pub method: String,
        #[serde(default)]
        pub customheaders: BTreeMap<String, String>,
        #[serde(default = "crate::default_true")]
        pub checkcert: bool,
        #[serde(default)]
        pub mutualtls: bool,
        #[serde(default, rename = "type")]
        pub kind: Vec<String>,
    }

    crate::http_config! {
        #[serde(deny_unknown_fields)]
        struct TlsOnly {
            #[serde(flatten)]
            tls: TlsKeys,
        }
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct TlsWritten {
        #[serde(default = "crate::default_true")]
        checkcert: bool,
        #[serde(default)]
        mutualtls: bool,
    }

    fn embedded(v: Value) -> Result<String, (String, String)> {
        falconer_config::from_value::<Embedded<()>>(v).map(|c| {
            format!(
                "{} {} {:?} {} {} {:?}",
                c.address,
                c.method,
                c.http.customheaders,
                c.http.checkcert,
                c.http.mutualtls,
                c.kind
            )
        })
    }

    fn written(v: Value) -> Result<String, (String, String)> {
        falconer_config::from_value::<Written>(v).map(|c| {
            format!(
                "{} {} {:?} {} {} {:?}",
                c.address, c.method, c.customheaders, c.checkcert, c.mutualtls, c.kind
            )
        })
    }

    #[test]
    fn the_loader_sees_the_keys_in_place() {
        assert_eq!(
            falconer_config::fields_of::<Embedded<()>>(),
            falconer_config::fields_of::<Written>()
        );
        assert_eq!(
            falconer_config::fields_of::<TlsOnly>(),
            ["checkcert", "mutualtls"]
        );
    }

    #[test]
    fn embedded_keys_read_as_written_ones() {
        let cases = [
            json!({"address": "http://h/"}),
            json!({"address": "http://h/", "checkcert": "false", "mutualtls": "1",
                   "customheaders": "X-A:1,X-B:2", "type": "a,b"}),
            json!({"address": "http://h/", "checkcert": false, "customheaders": {"X": "y"}}),
            json!({"address": "http://h/", "customheaders": null}),
            json!({"address": "http://h/", "checkcert": "maybe"}),
            json!({"address": "http://h/", "mutualtls": 2}),
            json!({"address": "http://h/", "customheaders": ["x"]}),
            json!({"address": "http://h/", "adress": "typo"}),
            json!({"address": "http://h/", "checkcert": true, "checkcert ": 1}),
            json!({"method": "PUT"}),
            json!({"address": 12, "method": true}),
            json!("a string"),
            json!(null),
        ];
        for case in cases {
            assert_eq!(embedded(case.clone()), written(case.clone()), "{case}");
        }
        let tls = |v: Value| {
            (
                falconer_config::from_value::<TlsOnly>(v.clone()).map(|c| c.tls),
                falconer_config::from_value::<TlsWritten>(v).map(|c| TlsKeys {
                    checkcert: c.checkcert,
                    mutualtls: c.mutualtls,
                }),
            )
        };
        for case in [
            json!({}),
            json!({"checkcert": "F"}),
            json!({"mutualtls": "yes"}),
            json!({"customheaders": {}}),
        ] {
            let (a, b) = tls(case.clone());
            assert_eq!(a, b, "{case}");
        }
    }

    #[test]
    fn header_problems_are_named_after_the_header() {
        let keys = HttpKeys {
            customheaders: [("Bad Header".to_owned(), "x".to_owned())].into(),
            ..HttpKeys::default()
        };
        let mut problems = falconer_core::Problems::default();
        keys.validate(&mut problems);
        assert_eq!(
            problems.0,
            [falconer_config::ConfigError::new(
                "customheaders.Bad Header",
                "invalid header name or value"
            )]
        );
        assert!(HttpKeys::default().checkcert);
    }
}
