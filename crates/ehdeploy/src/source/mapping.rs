//! Mappings: document order, copy-on-write sharing, and a storage that fits their size.

use std::sync::Arc;

use compact_str::CompactString;
use indexmap::IndexMap;

use super::node::Entry;

/// Mappings up to this many keys are a vector searched in order (most values mappings are
/// small); larger ones get a hash index. At 16, the root of an app's effective values (a
/// dozen keys once `common.yaml` and `<env>.yaml` merge) stays a vector: comparing a few
/// short keys costs less than hashing one, and the index's two allocations are saved.
const SMALL: usize = 16;

/// A mapping that keeps document order.
///
/// Cloning is cheap: the entries are shared until one of the copies changes (copy on write), so
/// a values file parsed once can be the base of many apps' effective values without being copied.
/// Large mappings hash their keys with foldhash, seeded per process, so that a hostile file
/// cannot predict collisions. Keys of up to 24 bytes take no allocation of their own.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    entries: Arc<Entries>,
}

/// A key: up to 24 bytes are kept inline, without an allocation of their own (most keys of a
/// values file are that short, and a large check holds hundreds of thousands of them).
type Key = CompactString;

/// The entries: a vector while small, a boxed index when large (so that what a mapping shares
/// is 24 bytes, not an index's 64, for the many small ones).
#[derive(Debug, Clone)]
enum Entries {
    Small(Vec<(Key, Entry)>),
    Large(Box<IndexMap<Key, Entry, foldhash::fast::RandomState>>),
}

impl Default for Entries {
    fn default() -> Self {
        Entries::Small(Vec::new())
    }
}

impl Entries {
    fn get(&self, key: &str) -> Option<&Entry> {
        match self {
            Entries::Small(v) => v.iter().find(|(k, _)| k == key).map(|(_, e)| e),
            Entries::Large(m) => m.get(key),
        }
    }

    fn get_mut(&mut self, key: &str) -> Option<&mut Entry> {
        match self {
            Entries::Small(v) => v.iter_mut().find(|(k, _)| k == key).map(|(_, e)| e),
            Entries::Large(m) => m.get_mut(key),
        }
    }

    fn insert(&mut self, key: Key, entry: Entry) -> Option<Entry> {
        match self {
            Entries::Small(v) => {
                if let Some(slot) = v.iter_mut().find(|(k, _)| *k == key) {
                    return Some(std::mem::replace(&mut slot.1, entry));
                }
                if v.len() < SMALL {
                    v.push((key, entry));
                    return None;
                }
                let mut m: IndexMap<Key, Entry, foldhash::fast::RandomState> =
                    IndexMap::with_capacity_and_hasher(v.len() * 2, Default::default());
                m.extend(v.drain(..));
                m.insert(key, entry);
                *self = Entries::Large(Box::new(m));
                None
            }
            Entries::Large(m) => m.insert(key, entry),
        }
    }

    fn shift_remove(&mut self, key: &str) -> Option<Entry> {
        match self {
            Entries::Small(v) => {
                let i = v.iter().position(|(k, _)| k == key)?;
                Some(v.remove(i).1)
            }
            Entries::Large(m) => m.shift_remove(key),
        }
    }

    fn len(&self) -> usize {
        match self {
            Entries::Small(v) => v.len(),
            Entries::Large(m) => m.len(),
        }
    }
}

/// Iterates either storage.
enum Either<S, L> {
    Small(S),
    Large(L),
}

impl<T, S: Iterator<Item = T>, L: Iterator<Item = T>> Iterator for Either<S, L> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        match self {
            Either::Small(s) => s.next(),
            Either::Large(l) => l.next(),
        }
    }
}

/// The entries of a mapping given away: moved out when it was the only copy, else cloned one
/// by one from the shared entries.
enum Owned {
    Small(std::vec::IntoIter<(Key, Entry)>),
    Large(indexmap::map::IntoIter<Key, Entry>),
    Shared(Arc<Entries>, usize),
}

impl Iterator for Owned {
    type Item = (Key, Entry);

    fn next(&mut self) -> Option<(Key, Entry)> {
        match self {
            Owned::Small(v) => v.next(),
            Owned::Large(m) => m.next(),
            Owned::Shared(entries, i) => {
                let item = match &**entries {
                    Entries::Small(v) => v.get(*i).cloned(),
                    Entries::Large(m) => m.get_index(*i).map(|(k, e)| (k.clone(), e.clone())),
                };
                *i += 1;
                item
            }
        }
    }
}

impl PartialEq for Mapping {
    /// Equal when both have the same keys with equal entries (order aside, as `IndexMap`).
    fn eq(&self, other: &Mapping) -> bool {
        Arc::ptr_eq(&self.entries, &other.entries)
            || (self.len() == other.len() && self.iter().all(|(k, e)| other.get(k) == Some(e)))
    }
}

impl Mapping {
    /// An empty mapping.
    pub fn new() -> Mapping {
        Mapping::default()
    }

    /// The entry of `key`.
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.get(key)
    }

    /// The entry of `key`, to change it.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Entry> {
        self.entries.get(key)?;
        Arc::make_mut(&mut self.entries).get_mut(key)
    }

    /// Set `key`; returns the entry it replaced. A key already there keeps its place.
    pub fn insert(&mut self, key: impl Into<CompactString>, entry: Entry) -> Option<Entry> {
        Arc::make_mut(&mut self.entries).insert(key.into(), entry)
    }

    /// Remove `key`, keeping the order of the others.
    pub fn remove(&mut self, key: &str) -> Option<Entry> {
        self.entries.get(key)?;
        Arc::make_mut(&mut self.entries).shift_remove(key)
    }

    /// Whether `key` is set.
    pub fn contains_key(&self, key: &str) -> bool {
        self.entries.get(key).is_some()
    }

    /// The entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Entry)> {
        match &*self.entries {
            Entries::Small(v) => Either::Small(v.iter().map(|(k, e)| (k.as_str(), e))),
            Entries::Large(m) => Either::Large(m.iter().map(|(k, e)| (k.as_str(), e))),
        }
    }

    /// The entries in order, to change them.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&str, &mut Entry)> {
        match Arc::make_mut(&mut self.entries) {
            Entries::Small(v) => Either::Small(v.iter_mut().map(|(k, e)| (k.as_str(), e))),
            Entries::Large(m) => Either::Large(m.iter_mut().map(|(k, e)| (k.as_str(), e))),
        }
    }

    /// The keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.iter().map(|(k, _)| k)
    }

    /// How many entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Gives back the room a small mapping kept for more entries, unless it is shared: a parser
    /// calls it on each mapping it completes, as most are never changed again (that room was
    /// 8% of the peak memory of checking the generated 10,000-app platform).
    pub(crate) fn shrink_to_fit(&mut self) {
        if let Some(Entries::Small(v)) = Arc::get_mut(&mut self.entries) {
            v.shrink_to_fit();
        }
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether both are copies of one mapping that neither has changed since (so they hold the
    /// same entries, written in the same places).
    pub fn is_copy_of(&self, other: &Mapping) -> bool {
        Arc::ptr_eq(&self.entries, &other.entries)
    }

    /// The entries in order, taken out of the mapping.
    pub fn entries_owned(self) -> impl Iterator<Item = (String, Entry)> {
        self.into_entries().map(|(k, e)| (k.into_string(), e))
    }

    /// [`Mapping::entries_owned`] with the keys as a mapping keeps them, to insert them into
    /// another without making a `String` of each (merging does it for every key).
    /// A shared mapping gives copies of its entries one by one (no copy of the whole first).
    pub(crate) fn into_entries(self) -> impl Iterator<Item = (CompactString, Entry)> {
        match Arc::try_unwrap(self.entries) {
            Ok(Entries::Small(v)) => Owned::Small(v.into_iter()),
            Ok(Entries::Large(m)) => Owned::Large((*m).into_iter()),
            Err(shared) => Owned::Shared(shared, 0),
        }
    }

    /// Makes room for `additional` more entries in a small mapping: a shared one is copied
    /// once into a vector with that room (not copied, then grown as entries come).
    pub(crate) fn reserve(&mut self, additional: usize) {
        if !matches!(&*self.entries, Entries::Small(v) if v.len() + additional <= SMALL) {
            return;
        }
        if let Some(Entries::Small(v)) = Arc::get_mut(&mut self.entries) {
            v.reserve(additional);
        } else if let Entries::Small(v) = &*self.entries {
            let mut copy = Vec::with_capacity(v.len() + additional);
            copy.extend(v.iter().cloned());
            self.entries = Arc::new(Entries::Small(copy));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{FileId, Node, NodeKind, Span};

    fn entry(i: i64) -> Entry {
        let span = Span::new(FileId(0), 0, 0);
        Entry {
            key_span: span,
            value: Node::new(NodeKind::Int(i), span),
        }
    }

    #[test]
    fn keeps_order_and_places_across_the_switch_to_a_hash_index() {
        let mut m = Mapping::new();
        for i in 0..20 {
            assert_eq!(m.insert(format!("k{i}"), entry(i)), None);
        }
        assert_eq!(
            m.insert("k3", entry(33)).map(|e| e.value.kind),
            Some(NodeKind::Int(3))
        );
        assert_eq!(m.remove("k0").map(|e| e.value.kind), Some(NodeKind::Int(0)));
        let keys: Vec<&str> = m.keys().collect();
        assert_eq!(keys[..3], ["k1", "k2", "k3"]);
        assert_eq!(keys.len(), 19);
        assert_eq!(m.get("k3").map(|e| &e.value.kind), Some(&NodeKind::Int(33)));
        assert!(m.get("k0").is_none());
    }

    #[test]
    fn a_completed_mapping_gives_back_its_room_unless_shared() {
        let capacity = |m: &Mapping| match &*m.entries {
            Entries::Small(v) => v.capacity(),
            Entries::Large(_) => usize::MAX,
        };
        let mut m = Mapping::new();
        for i in 0..5 {
            m.insert(format!("k{i}"), entry(i));
        }
        assert!(capacity(&m) > 5);
        let shared = m.clone();
        m.shrink_to_fit();
        assert!(capacity(&m) > 5, "a shared mapping is left as it is");
        drop(shared);
        m.shrink_to_fit();
        assert_eq!(capacity(&m), 5);
        let keys: Vec<&str> = m.keys().collect();
        assert_eq!(keys, ["k0", "k1", "k2", "k3", "k4"]);
        // Growing again after it works as before.
        m.insert("k5", entry(5));
        assert_eq!(m.get("k5").map(|e| &e.value.kind), Some(&NodeKind::Int(5)));
    }

    #[test]
    fn a_shared_mapping_gives_copies_and_stays_as_it_is() {
        let int = |e: &Entry| match e.value.kind {
            NodeKind::Int(i) => i,
            _ => -1,
        };
        for n in [3, 20] {
            let mut a = Mapping::new();
            for i in 0..n {
                a.insert(format!("k{i}"), entry(i));
            }
            let taken: Vec<(String, i64)> = a
                .clone()
                .into_entries()
                .map(|(k, e)| (k.to_string(), int(&e)))
                .collect();
            let expected: Vec<(String, i64)> = (0..n).map(|i| (format!("k{i}"), i)).collect();
            assert_eq!(taken, expected, "{n} entries, shared");
            assert_eq!(a.len() as i64, n);
            let moved: Vec<(String, i64)> = a
                .into_entries()
                .map(|(k, e)| (k.to_string(), int(&e)))
                .collect();
            assert_eq!(moved, expected, "{n} entries, the only copy");
        }
        // Room made in a shared mapping is made in a copy of it, with the room asked for.
        let mut a = Mapping::new();
        a.insert("x", entry(1));
        a.shrink_to_fit();
        let mut b = a.clone();
        b.reserve(4);
        assert!(!b.is_copy_of(&a));
        assert!(matches!(&*b.entries, Entries::Small(v) if v.capacity() >= 5));
        b.insert("y", entry(2));
        assert_eq!((a.len(), b.len()), (1, 2));
        assert_eq!(b.get("x").map(int), Some(1));
    }

    #[test]
    fn clones_share_until_one_changes() {
        let mut a = Mapping::new();
        a.insert("x", entry(1));
        let mut b = a.clone();
        assert!(a.is_copy_of(&b));
        b.insert("y", entry(2));
        assert!(!a.is_copy_of(&b));
        assert_eq!((a.len(), b.len()), (1, 2));
        assert_ne!(a, b);
        b.remove("y");
        assert_eq!(a, b);
        // Equal, but not copies: `same_value` compares them entry by entry.
        assert!(!a.is_copy_of(&b));
        let span = Span::new(FileId(0), 0, 0);
        let node = |m: &Mapping| Node::new(NodeKind::Map(m.clone()), span);
        assert!(node(&a).same_value(&node(&b)));
        b.insert("x", entry(5));
        assert!(!node(&a).same_value(&node(&b)));
        assert!(node(&b).same_value(&node(&b.clone())));
    }
}
