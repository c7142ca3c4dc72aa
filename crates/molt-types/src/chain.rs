//! Chain identifiers.

use borsh::{BorshDeserialize, BorshSerialize};
use std::fmt;
use std::str::FromStr;
use std::string::String;

/// A chain's name, signed into every transaction so that a transaction for
/// one chain can never be replayed on another. 1 to 32 characters of
/// `a-z`, `0-9` and `-`, e.g. `molt-dev`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct ChainId(String);

pub const MAX_CHAIN_ID_LEN: usize = 32;

/// Why a string is not a chain id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainIdError {
    #[error("a chain id has 1 to {MAX_CHAIN_ID_LEN} characters; got {0}")]
    Length(usize),
    #[error("a chain id uses only a-z, 0-9 and '-'; found {0:?}")]
    Character(char),
}

impl ChainId {
    pub fn new(s: &str) -> Result<Self, ChainIdError> {
        if s.is_empty() || s.len() > MAX_CHAIN_ID_LEN {
            return Err(ChainIdError::Length(s.len()));
        }
        if let Some(c) = s
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            return Err(ChainIdError::Character(c));
        }
        Ok(ChainId(s.into()))
    }

    /// The chain id of `molt node --dev`.
    pub fn dev() -> Self {
        ChainId("molt-dev".into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl BorshDeserialize for ChainId {
    fn deserialize_reader<R: borsh::io::Read>(reader: &mut R) -> borsh::io::Result<Self> {
        let s = String::deserialize_reader(reader)?;
        ChainId::new(&s).map_err(|e| {
            borsh::io::Error::new(borsh::io::ErrorKind::InvalidData, std::format!("{e}"))
        })
    }
}

impl FromStr for ChainId {
    type Err = ChainIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ChainId::new(s)
    }
}

impl fmt::Display for ChainId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ChainId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChainId({})", self.0)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for ChainId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <String as serde::Deserialize>::deserialize(d)?;
        ChainId::new(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        assert!(ChainId::new("molt-dev").is_ok());
        assert_eq!(ChainId::new(""), Err(ChainIdError::Length(0)));
        assert_eq!(ChainId::new("Molt"), Err(ChainIdError::Character('M')));
        let bytes = crate::encode(&"BAD ID".to_string());
        assert!(crate::decode::<ChainId>("chain id", &bytes, 64).is_err());
    }

    use std::string::ToString;
}
