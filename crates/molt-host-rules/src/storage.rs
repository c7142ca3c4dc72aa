//! The bounds of `storage_next(prefix, after)` (docs/host-abi.md).
//!
//! The answer is the first `(key, value)` of the program's namespace, in
//! ascending byte order of keys, whose key starts with `prefix` and, when
//! `after` is given, is strictly greater than `after`. An `after` that sorts
//! before `prefix` excludes no key with the prefix, so the search starts at
//! the prefix itself; an `after` at or past the prefix starts the search
//! strictly after it (and, if it sorts after every key with the prefix,
//! finds nothing). [`start`] is that decision; [`matches`] says whether one
//! key qualifies. Hosts that scan an ordered map from [`start`] and stop at
//! the first key without the prefix answer exactly the rule.

/// Where the search for the next key begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start<'a> {
    /// At `prefix`, inclusive.
    AtPrefix,
    /// Strictly after this key, which sorts at or after `prefix`.
    After(&'a [u8]),
}

impl<'a> Start<'a> {
    /// The `after` a host should scan from: `None` means "from the prefix".
    pub fn after(self) -> Option<&'a [u8]> {
        match self {
            Start::AtPrefix => None,
            Start::After(a) => Some(a),
        }
    }
}

/// Where `storage_next(prefix, after)` starts searching.
pub fn start<'a>(prefix: &[u8], after: Option<&'a [u8]>) -> Start<'a> {
    match after {
        Some(a) if a >= prefix => Start::After(a),
        _ => Start::AtPrefix,
    }
}

/// Whether `key` is a candidate answer of `storage_next(prefix, after)`.
pub fn matches(key: &[u8], prefix: &[u8], after: Option<&[u8]>) -> bool {
    key.starts_with(prefix) && after.is_none_or(|a| key > a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    /// The rule by brute force over a sorted key list.
    fn first<'k>(keys: &[&'k [u8]], prefix: &[u8], after: Option<&[u8]>) -> Option<&'k [u8]> {
        keys.iter().copied().find(|k| matches(k, prefix, after))
    }

    /// What a host does: scan from `start`, stop at the first key without
    /// the prefix.
    fn scan<'k>(keys: &[&'k [u8]], prefix: &[u8], after: Option<&[u8]>) -> Option<&'k [u8]> {
        let from = start(prefix, after);
        keys.iter()
            .copied()
            .skip_while(|k| match from {
                Start::AtPrefix => *k < prefix,
                Start::After(a) => *k <= a,
            })
            .take_while(|k| k.starts_with(prefix))
            .next()
    }

    #[test]
    fn scanning_from_start_answers_the_rule() {
        let keys: Vec<&[u8]> = alloc::vec![b"", b"a", b"b", b"b/", b"b/1", b"b/3", b"b0", b"c"];
        let probes: &[&[u8]] = &[b"", b"a", b"b", b"b/", b"b/1", b"b/2", b"b/3", b"b0", b"z"];
        for prefix in probes {
            assert_eq!(scan(&keys, prefix, None), first(&keys, prefix, None));
            for after in probes {
                assert_eq!(
                    scan(&keys, prefix, Some(after)),
                    first(&keys, prefix, Some(after)),
                    "prefix {prefix:?} after {after:?}"
                );
            }
        }
    }

    #[test]
    fn an_after_before_the_prefix_excludes_nothing() {
        assert_eq!(start(b"b/", Some(b"a")), Start::AtPrefix);
        assert_eq!(start(b"b/", Some(b"")), Start::AtPrefix);
        assert_eq!(start(b"b/", Some(b"b/")), Start::After(b"b/"));
        assert_eq!(start(b"b/", Some(b"b0")), Start::After(b"b0"));
        assert!(matches(b"b/1", b"b/", Some(b"a")));
        assert!(!matches(b"b/1", b"b/", Some(b"b/1")));
    }
}
