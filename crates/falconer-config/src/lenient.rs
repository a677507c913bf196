//! A deserializer over a JSON value tree that coerces the way falcosidekick's config loader
//! (viper) does, so that values set through environment variables, which are always
//! strings, deserialize into any field type:
//! - `"true"`, `"1"`, `"F"` … into booleans (Go's `strconv.ParseBool`), `"32"` into numbers;
//! - numbers and booleans into strings (`TELEGRAM_CHATID=-1001`);
//! - `"a,b,c"` into lists;
//! - `"k:v,k2:v2"` into maps (split on the first `:` of each item, so URLs survive);
//! - `null` into empty lists, maps and structs (an empty YAML block).

use serde::de::value::{MapDeserializer, SeqDeserializer};
use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};
use serde::forward_to_deserialize_any;
use serde_json::{Map, Value};

/// Error of a lenient deserialization (a message; the path is added by the caller).
pub type LenientError = de::value::Error;

/// A value that deserializes leniently.
#[derive(Debug, Clone)]
pub struct Lenient(pub Value);

/// Deserializes `value` into `T`, returning the dotted path of the first problem with it.
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, (String, String)> {
    serde_path_to_error::deserialize(Lenient(value)).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        (path, e.into_inner().to_string())
    })
}

/// Go's `strconv.ParseBool`.
pub fn parse_go_bool(s: &str) -> Option<bool> {
    match s.trim() {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// `"k:v,k2:v2"` → map; items without `:` map to `""` (as falcosidekick's parsers do).
pub fn parse_pairs(s: &str) -> Map<String, Value> {
    s.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| match item.split_once(':') {
            Some((k, v)) => (k.trim().to_owned(), Value::String(v.trim().to_owned())),
            None => (item.to_owned(), Value::String(String::new())),
        })
        .collect()
}

fn split_list(s: &str) -> Vec<Value> {
    s.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| Value::String(item.to_owned()))
        .collect()
}

fn invalid(value: &Value, expected: &str) -> LenientError {
    let got = match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("boolean `{b}`"),
        Value::Number(n) => format!("number `{n}`"),
        Value::String(s) => format!("string {s:?}"),
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "a map".to_owned(),
    };
    de::Error::custom(format_args!("invalid value: {got}, expected {expected}"))
}

impl<'de> IntoDeserializer<'de, LenientError> for Lenient {
    type Deserializer = Self;
    fn into_deserializer(self) -> Self {
        self
    }
}

impl Lenient {
    fn number<'de, V: Visitor<'de>>(
        self,
        visitor: V,
        expected: &str,
    ) -> Result<V::Value, LenientError> {
        let number = match &self.0 {
            Value::Number(n) => n.clone(),
            Value::String(s) => serde_json::from_str::<serde_json::Number>(s.trim())
                .map_err(|_| invalid(&self.0, expected))?,
            other => return Err(invalid(other, expected)),
        };
        de::Deserializer::deserialize_any(Value::Number(number), visitor)
            .map_err(|e| de::Error::custom(e.to_string()))
    }

    fn map<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, LenientError> {
        let map = match self.0 {
            Value::Object(map) => map,
            Value::Null => Map::new(),
            Value::String(s) => parse_pairs(&s),
            other => return Err(invalid(&other, "a map")),
        };
        let mut access = MapDeserializer::new(map.into_iter().map(|(k, v)| (k, Lenient(v))));
        let value = visitor.visit_map(&mut access)?;
        access.end()?;
        Ok(value)
    }
}

impl<'de> de::Deserializer<'de> for Lenient {
    type Error = LenientError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Number(_) => self.number(visitor, "a number"),
            Value::String(s) => visitor.visit_string(s),
            Value::Array(items) => {
                let mut access = SeqDeserializer::new(items.into_iter().map(Lenient));
                let value = visitor.visit_seq(&mut access)?;
                access.end()?;
                Ok(value)
            }
            Value::Object(_) => self.map(visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match &self.0 {
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::String(s) => match parse_go_bool(s) {
                Some(b) => visitor.visit_bool(b),
                None => Err(invalid(&self.0, "a boolean")),
            },
            other => Err(invalid(other, "a boolean")),
        }
    }

    fn deserialize_i8<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        self.number(v, "an integer")
    }
    fn deserialize_i16<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        self.number(v, "an integer")
    }
    fn deserialize_i32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        self.number(v, "an integer")
    }
    fn deserialize_i64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        self.number(v, "an integer")
    }
    fn deserialize_u8<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        self.number(v, "a non-negative integer")
    }
    fn deserialize_u16<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        self.number(v, "a non-negative integer")
    }
    fn deserialize_u32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        self.number(v, "a non-negative integer")
    }
    fn deserialize_u64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        self.number(v, "a non-negative integer")
    }
    fn deserialize_f32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        self.number(v, "a number")
    }
    fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        self.number(v, "a number")
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_string(visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::String(s) => visitor.visit_string(s),
            Value::Number(n) => visitor.visit_string(n.to_string()),
            Value::Bool(b) => visitor.visit_string(b.to_string()),
            Value::Null => visitor.visit_string(String::new()),
            other => Err(invalid(&other, "a string")),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match &self.0 {
            Value::Null => visitor.visit_none(),
            Value::String(s) if s.is_empty() => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        let items = match self.0 {
            Value::Array(items) => items,
            Value::Null => Vec::new(),
            Value::String(s) => split_list(&s),
            other => return Err(invalid(&other, "a list")),
        };
        let mut access = SeqDeserializer::new(items.into_iter().map(Lenient));
        let value = visitor.visit_seq(&mut access)?;
        access.end()?;
        Ok(value)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.map(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Object(_) | Value::Null => self.map(visitor),
            other => Err(invalid(&other, "a map")),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::String(s) => visitor.visit_enum(s.to_ascii_lowercase().into_deserializer()),
            other => Err(invalid(&other, "one of the listed names")),
        }
    }

    forward_to_deserialize_any! {
        char bytes byte_buf unit unit_struct tuple tuple_struct identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;
    use std::collections::BTreeMap;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        #[serde(default)]
        flag: bool,
        #[serde(default)]
        port: u16,
        #[serde(default)]
        name: String,
        #[serde(default)]
        list: Vec<String>,
        #[serde(default)]
        map: BTreeMap<String, String>,
        #[serde(default)]
        opt: Option<u32>,
    }

    #[test]
    fn coerces_env_strings_by_target_type() {
        let s: Sample = from_value(json!({
            "flag": "False", "port": "2801", "name": -1001, "list": "a, b,,c",
            "map": "Authorization:Bearer x,url:http://h:1/p", "opt": ""
        }))
        .unwrap();
        assert!(!s.flag);
        assert_eq!(s.port, 2801);
        assert_eq!(s.name, "-1001");
        assert_eq!(s.list, vec!["a", "b", "c"]);
        assert_eq!(s.map["Authorization"], "Bearer x");
        assert_eq!(s.map["url"], "http://h:1/p");
        assert_eq!(s.opt, None);
    }

    #[test]
    fn reports_the_path_of_a_bad_value() {
        let err = from_value::<Sample>(json!({"port": "lots"})).unwrap_err();
        assert_eq!(err.0, "port");
        assert!(err.1.contains("\"lots\""), "{}", err.1);
        let err = from_value::<Sample>(json!({"port": 70000})).unwrap_err();
        assert_eq!(err.0, "port");
        let err = from_value::<Sample>(json!({"nope": 1})).unwrap_err();
        assert!(err.1.contains("unknown field `nope`"), "{}", err.1);
    }

    #[test]
    fn null_block_is_an_empty_struct() {
        let s: Sample = from_value(Value::Null).unwrap();
        assert_eq!(s, from_value::<Sample>(json!({})).unwrap());
    }
}
