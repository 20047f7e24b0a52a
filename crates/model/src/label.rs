//! Stable wire names and bilingual labels for the domain's closed vocabularies.
//!
//! Every enum of the domain has three names: a snake_case wire name that never changes once
//! shipped (it is stored in databases on phones we cannot update), a Simplified Chinese label
//! that users read first, and an English label. The [`labelled_enum!`](crate::labelled_enum) macro generates all three
//! from one table so they cannot drift apart.

use std::fmt;

/// Display language. Chinese is the default everywhere: users read Chinese.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    /// 简体中文 (default).
    #[default]
    Zh,
    /// English.
    En,
}

impl Lang {
    /// Picks the language from an `Accept-Language`-style tag or a CLI flag; anything not
    /// clearly English is Chinese.
    pub fn from_tag(tag: &str) -> Lang {
        if tag.trim().to_ascii_lowercase().starts_with("en") {
            Lang::En
        } else {
            Lang::Zh
        }
    }
}

/// A value of one of the domain's closed vocabularies.
pub trait Labelled: Sized + Copy + 'static {
    /// Every value, in the order users see them.
    const ALL: &'static [Self];
    /// What the vocabulary is called, in English, for error messages.
    const WHAT: &'static str;
    /// The stable snake_case wire name.
    fn wire_name(self) -> &'static str;
    /// The Simplified Chinese label.
    fn label_zh(self) -> &'static str;
    /// The English label.
    fn label_en(self) -> &'static str;
    /// The label in the given language.
    fn label(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Zh => self.label_zh(),
            Lang::En => self.label_en(),
        }
    }
    /// Parses a wire name.
    fn from_wire(s: &str) -> Result<Self, UnknownValue> {
        Self::ALL
            .iter()
            .copied()
            .find(|v| v.wire_name() == s)
            .ok_or_else(|| UnknownValue {
                what: Self::WHAT,
                value: s.to_owned(),
                allowed: Self::ALL.iter().map(|v| v.wire_name()).collect(),
            })
    }
}

/// A string that is not a wire name of the expected vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct UnknownValue {
    /// The vocabulary, e.g. "category".
    pub what: &'static str,
    /// What was given.
    pub value: String,
    /// The accepted wire names.
    pub allowed: Vec<&'static str>,
}

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "未知的{what}「{v}」，可选：{a} / unknown {what} '{v}', expected one of: {a}",
            what = self.what,
            v = self.value,
            a = self.allowed.join(", ")
        )
    }
}

/// Defines a closed vocabulary: the enum, serde with the wire names, [`Labelled`], `Display`
/// (the wire name) and `FromStr`.
#[macro_export]
macro_rules! labelled_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident : $what:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal, $zh:literal, $en:literal; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
                 serde::Serialize, serde::Deserialize)]
        $vis enum $name {
            $( $(#[$vmeta])* #[serde(rename = $wire)] $variant, )+
        }

        impl $crate::label::Labelled for $name {
            const ALL: &'static [Self] = &[ $( $name::$variant ),+ ];
            const WHAT: &'static str = $what;
            fn wire_name(self) -> &'static str {
                match self { $( $name::$variant => $wire, )+ }
            }
            fn label_zh(self) -> &'static str {
                match self { $( $name::$variant => $zh, )+ }
            }
            fn label_en(self) -> &'static str {
                match self { $( $name::$variant => $en, )+ }
            }
        }

        // By hand: the derive does not see the wire names through the macro's literals. The
        // schema lists the wire names and, in its description, their Chinese and English labels.
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                let labels = [ $( concat!("`", $wire, "` ", $zh, " / ", $en) ),+ ];
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description(Some(format!("{}：{}", $what, labels.join("；"))))
                    .enum_values(Some([ $( $wire ),+ ]))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {
            fn name() -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed(stringify!($name))
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str($crate::label::Labelled::wire_name(*self))
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::label::UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                <$name as $crate::label::Labelled>::from_wire(s)
            }
        }
    };
}
