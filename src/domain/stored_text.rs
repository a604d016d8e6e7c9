//! Enums written as text (in the database, in forms, in settings): shown and
//! stored by `as_str`, parsed strictly back (an unknown value is an error,
//! never a silent default).

/// For an enum that derives `strum::IntoStaticStr` and `strum::VariantArray`
/// (its strings set once, by `#[strum(serialize_all = …)]` or a variant's
/// `#[strum(serialize = …)]`): `ALL` and `as_str`, `Display`, `FromStr`, and
/// diesel's `ToSql`/`FromSql` for `Text` on every backend. `$what` names the
/// enum in the error for an unknown value (more use in a log than strum's
/// "Matching variant not found", hence no `EnumString`). The strings are in
/// existing databases: `pin_stored_text!` holds each enum to them.
macro_rules! text_enum {
    ($name:ty, $what:literal) => {
        impl $name {
            /// Every value, in the order declared.
            pub const ALL: &'static [$name] = <$name as strum::VariantArray>::VARIANTS;

            /// As stored, shown and sent by forms.
            pub fn as_str(self) -> &'static str {
                self.into()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|value| value.as_str() == s)
                    .ok_or_else(|| format!("unknown {} `{s}`", $what))
            }
        }

        impl<DB: diesel::backend::Backend> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for $name
        where
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut diesel::serialize::Output<'b, '_, DB>) -> diesel::serialize::Result {
                self.as_str().to_sql(out)
            }
        }

        impl<DB: diesel::backend::Backend> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $name
        where
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = String::from_sql(bytes)?;
                text.parse::<$name>().map_err(|e| e.into())
            }
        }
    };
}

pub(crate) use text_enum;

/// Asserts that `$name` is stored as exactly these strings, one per variant:
/// the strings are in existing databases, so a renamed variant must keep its
/// string. Each string also parses back, and nothing else does.
#[cfg(test)]
macro_rules! pin_stored_text {
    ($name:ty, [$(($variant:expr, $text:literal)),+ $(,)?]) => {{
        let pinned: &[($name, &str)] = &[$(($variant, $text)),+];
        assert_eq!(pinned.len(), <$name>::ALL.len(), "every variant of {} is pinned", stringify!($name));
        for value in <$name>::ALL.iter() {
            assert!(pinned.iter().any(|(v, _)| v == value), "{value:?} is pinned");
        }
        for &(value, text) in pinned {
            assert_eq!(value.as_str(), text, "{value:?} is stored as `{text}`");
            assert_eq!(value.to_string(), text, "{value:?} is shown as `{text}`");
            assert_eq!(text.parse::<$name>(), Ok(value), "`{text}` is read as {value:?}");
            assert!(text.to_uppercase().parse::<$name>().is_err(), "`{text}` is read strictly");
            assert!(format!(" {text}").parse::<$name>().is_err(), "`{text}` is read strictly");
        }
        let unknown = "no such value".parse::<$name>().expect_err("an unknown value is refused");
        assert!(unknown.starts_with("unknown "), "the error names what was unknown: {unknown}");
    }};
}

#[cfg(test)]
pub(crate) use pin_stored_text;
