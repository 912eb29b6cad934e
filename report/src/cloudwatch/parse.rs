//! A payload straight from its JSON text: serde visitors that build [`LogsPayload`] without an
//! intermediate `serde_json::Value` tree (a 1 MB batch holds thousands of events; building and
//! tearing down a map per event cost half of the decode).
//!
//! The visitors accept a value of any type and record a wrong one as a problem that names the
//! field (`logEvents[3].id is not a string`): serde's own messages quote the offending value,
//! and a log line must never be echoed into our errors. Only malformed JSON fails the parse.

use super::{LogEvent, LogsPayload, PayloadError, err};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

/// A field as found: absent, of the wrong type, or read.
#[derive(Default)]
enum Field<T> {
    #[default]
    Missing,
    Wrong,
    Read(T),
}

impl<T> Field<T> {
    fn take(self, name: &str, what: &str) -> Result<T, PayloadError> {
        self.take_named(|| name.to_owned(), what)
    }

    /// Like `take`, the name built only for an error (thousands of events are read).
    fn take_named(self, name: impl Fn() -> String, what: &str) -> Result<T, PayloadError> {
        match self {
            Field::Read(v) => Ok(v),
            Field::Wrong => Err(err(format!("{} is not {what}", name()))),
            Field::Missing => Err(err(format!("{} is missing", name()))),
        }
    }
}

/// Read a payload document (the decompressed `awslogs.data`, or a payload file). Fails only
/// on malformed JSON; [`RawPayload::into_payload`] then says what is wrong with its shape.
pub(super) fn read<'de, D: Deserializer<'de>>(d: D) -> Result<RawPayload, D::Error> {
    d.deserialize_any(PayloadVisitor)
}

/// The top-level fields, each as found (`object` is false when the document is not an
/// object).
#[derive(Default)]
pub(super) struct RawPayload {
    object: bool,
    message_type: Field<String>,
    owner: Field<String>,
    log_group: Field<String>,
    log_stream: Field<String>,
    subscription_filters: Field<Vec<String>>,
    filters_hold_non_string: bool,
    log_events: Field<Vec<LogEvent>>,
    event_problem: Option<String>,
    other: Map<String, Value>,
}

impl RawPayload {
    pub(super) fn into_payload(self) -> Result<LogsPayload, PayloadError> {
        if !self.object {
            return Err(err("payload is not a JSON object"));
        }
        let message_type = self.message_type.take("messageType", "a string")?;
        let owner = self.owner.take("owner", "a string")?;
        let log_group = self.log_group.take("logGroup", "a string")?;
        let log_stream = self.log_stream.take("logStream", "a string")?;
        if self.filters_hold_non_string {
            return Err(err("subscriptionFilters holds a non-string"));
        }
        let subscription_filters = match self.subscription_filters {
            Field::Missing => Vec::new(),
            f => f.take("subscriptionFilters", "an array")?,
        };
        if let Some(problem) = self.event_problem {
            return Err(err(problem));
        }
        let log_events = self.log_events.take("logEvents", "an array")?;
        Ok(LogsPayload {
            message_type,
            owner,
            log_group,
            log_stream,
            subscription_filters,
            log_events,
            other: self.other,
        })
    }
}

/// Every other shape where an object (`expects map`) or an array (`expects seq`) was expected:
/// consumed unread, and each visitor's `wrong` says what that means.
macro_rules! reject_others {
    (expects map) => {
        reject_others!(scalars);
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            skip_seq(seq)?;
            Ok(self.wrong())
        }
    };
    (expects seq) => {
        reject_others!(scalars);
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            skip_map(map)?;
            Ok(self.wrong())
        }
    };
    (scalars) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(self.wrong())
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(self.wrong())
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(self.wrong())
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(self.wrong())
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok(self.wrong())
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(self.wrong())
        }
    };
}

fn skip_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

fn skip_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

struct PayloadVisitor;

impl PayloadVisitor {
    fn wrong(self) -> RawPayload {
        RawPayload::default()
    }
}

impl<'de> Visitor<'de> for PayloadVisitor {
    type Value = RawPayload;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a CloudWatch Logs payload")
    }

    reject_others!(expects map);

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawPayload, A::Error> {
        let mut raw = RawPayload {
            object: true,
            ..RawPayload::default()
        };
        while let Some(key) = map.next_key::<KeyName>()? {
            match key.0.as_str() {
                "messageType" => raw.message_type = map.next_value::<Scalar>()?.text(),
                "owner" => raw.owner = map.next_value::<Scalar>()?.text(),
                "logGroup" => raw.log_group = map.next_value::<Scalar>()?.text(),
                "logStream" => raw.log_stream = map.next_value::<Scalar>()?.text(),
                "subscriptionFilters" => {
                    let f = map.next_value::<Filters>()?;
                    raw.filters_hold_non_string = f.non_string;
                    raw.subscription_filters = f.names;
                }
                "logEvents" => {
                    let events = map.next_value::<Events>()?;
                    raw.event_problem = events.problem;
                    raw.log_events = events.events;
                }
                _ => {
                    let value = map.next_value::<Value>()?;
                    raw.other.insert(key.0, value);
                }
            }
        }
        Ok(raw)
    }
}

/// A key, read without the `Value` machinery.
struct KeyName(String);

impl<'de> de::Deserialize<'de> for KeyName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = KeyName;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyName, E> {
                Ok(KeyName(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<KeyName, E> {
                Ok(KeyName(v))
            }
        }
        d.deserialize_str(V)
    }
}

/// A scalar field as found: a string, an integer (`as_i64` semantics: no floats, nothing past
/// i64), or anything else, skipped unread.
enum Scalar {
    Str(String),
    Int(i64),
    Other,
}

impl Scalar {
    fn text(self) -> Field<String> {
        match self {
            Scalar::Str(s) => Field::Read(s),
            _ => Field::Wrong,
        }
    }

    fn integer(self) -> Field<i64> {
        match self {
            Scalar::Int(i) => Field::Read(i),
            _ => Field::Wrong,
        }
    }
}

impl<'de> de::Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar::Str(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
                Ok(Scalar::Str(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(i64::try_from(v).map_or(Scalar::Other, Scalar::Int))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Scalar, E> {
                Ok(Scalar::Other)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Scalar, E> {
                Ok(Scalar::Other)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Scalar, A::Error> {
                skip_seq(seq)?;
                Ok(Scalar::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Scalar, A::Error> {
                skip_map(map)?;
                Ok(Scalar::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// `subscriptionFilters`: an array of strings.
struct Filters {
    names: Field<Vec<String>>,
    non_string: bool,
}

impl<'de> de::Deserialize<'de> for Filters {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl V {
            fn wrong(self) -> Filters {
                Filters {
                    names: Field::Wrong,
                    non_string: false,
                }
            }
        }
        impl<'de> Visitor<'de> for V {
            type Value = Filters;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of strings")
            }
            reject_others!(expects seq);
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Filters, A::Error> {
                let mut names = Vec::new();
                let mut non_string = false;
                while let Some(name) = seq.next_element::<Scalar>()? {
                    match name {
                        Scalar::Str(n) => names.push(n),
                        _ => non_string = true,
                    }
                }
                Ok(Filters {
                    names: Field::Read(names),
                    non_string,
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// `logEvents`, with the first problem found in an event.
struct Events {
    events: Field<Vec<LogEvent>>,
    problem: Option<String>,
}

impl<'de> de::Deserialize<'de> for Events {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl V {
            fn wrong(self) -> Events {
                Events {
                    events: Field::Wrong,
                    problem: None,
                }
            }
        }
        impl<'de> Visitor<'de> for V {
            type Value = Events;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of log events")
            }
            reject_others!(expects seq);
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Events, A::Error> {
                let mut events = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                let mut problem = None;
                let mut i = 0;
                while let Some(e) = seq.next_element_seed(EventSeed(i))? {
                    i += 1;
                    match e {
                        Ok(e) if problem.is_none() => events.push(e),
                        Ok(_) => {}
                        Err(p) => {
                            problem.get_or_insert(p);
                        }
                    }
                }
                Ok(Events {
                    events: Field::Read(events),
                    problem,
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// One event; its index names it in a problem.
struct EventSeed(usize);

impl EventSeed {
    fn wrong(self) -> Result<LogEvent, String> {
        Err(format!("logEvents[{}] is not an object", self.0))
    }
}

impl<'de> DeserializeSeed<'de> for EventSeed {
    type Value = Result<LogEvent, String>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for EventSeed {
    type Value = Result<LogEvent, String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a log event")
    }

    reject_others!(expects map);

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut id, mut timestamp, mut message) = (Field::Missing, Field::Missing, Field::Missing);
        let mut extra = serde_json::Map::new();
        while let Some(key) = map.next_key::<EventKey>()? {
            match key {
                EventKey::Id => id = map.next_value::<Scalar>()?.text(),
                EventKey::Timestamp => timestamp = map.next_value::<Scalar>()?.integer(),
                EventKey::Message => message = map.next_value::<Scalar>()?.text(),
                EventKey::Other(key) => {
                    extra.insert(key, map.next_value::<serde_json::Value>()?);
                }
            }
        }
        let i = self.0;
        let field = |name: &'static str| move || format!("logEvents[{i}].{name}");
        let event = || {
            let id = id.take_named(field("id"), "a string")?;
            let Field::Read(timestamp) = timestamp else {
                return Err(err(format!(
                    "{} is missing or not an integer",
                    field("timestamp")()
                )));
            };
            let message = message.take_named(field("message"), "a string")?;
            Ok(LogEvent {
                id,
                timestamp,
                message,
                extra,
            })
        };
        Ok(event().map_err(|e: PayloadError| e.0))
    }
}

/// The fields of an event this codec reads; others are kept by name.
enum EventKey {
    Id,
    Timestamp,
    Message,
    Other(String),
}

impl<'de> de::Deserialize<'de> for EventKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = EventKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<EventKey, E> {
                Ok(match v {
                    "id" => EventKey::Id,
                    "timestamp" => EventKey::Timestamp,
                    "message" => EventKey::Message,
                    other => EventKey::Other(other.to_owned()),
                })
            }
        }
        d.deserialize_str(V)
    }
}
