//! Concurrent WebSocket connections per client address: a count per key,
//! taken by a permit that the connection holds for its life and gives back
//! when dropped, however the connection ends.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard},
};

use super::ClientKey;

/// How many connections each address has open, up to a most.
pub struct PerIpConnections {
    /// 0: no limit (nothing is counted).
    most: u32,
    /// Only addresses with a connection open: a key leaves with its last.
    open: Mutex<HashMap<ClientKey, u32>>,
}

impl PerIpConnections {
    /// At most `most` open connections per address; 0: no limit.
    pub fn new(most: u32) -> Self {
        Self {
            most,
            open: Mutex::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<ClientKey, u32>> {
        // Each update is one insert or remove: a panic elsewhere leaves a
        // consistent map.
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A permit for one more connection from `key`, or `None` if it has
    /// as many open as it may.
    pub fn try_open(self: &Arc<Self>, key: ClientKey) -> Option<IpPermit> {
        if self.most == 0 {
            return Some(IpPermit(None));
        }
        let mut open = self.lock();
        let count = open.entry(key).or_insert(0);
        if *count >= self.most {
            return None;
        }
        *count += 1;
        Some(IpPermit(Some((self.clone(), key))))
    }

    /// Connections open from `key`.
    pub fn open(&self, key: ClientKey) -> u32 {
        self.lock().get(&key).copied().unwrap_or(0)
    }

    fn close(&self, key: ClientKey) {
        let mut open = self.lock();
        if let Some(count) = open.get_mut(&key) {
            *count -= 1;
            if *count == 0 {
                open.remove(&key);
            }
        }
    }
}

/// One open connection, counted against its address until dropped.
pub struct IpPermit(Option<(Arc<PerIpConnections>, ClientKey)>);

impl Drop for IpPermit {
    fn drop(&mut self) {
        if let Some((owner, key)) = self.0.take() {
            owner.close(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(ip: &str) -> ClientKey {
        ClientKey::of(ip.parse().unwrap())
    }

    #[test]
    fn an_address_gets_its_most_and_a_closed_connection_lets_the_next_in() {
        let limit = Arc::new(PerIpConnections::new(2));
        let first = limit.try_open(key("10.0.0.1")).unwrap();
        let _second = limit.try_open(key("10.0.0.1")).unwrap();
        assert!(limit.try_open(key("10.0.0.1")).is_none());
        let _other = limit.try_open(key("10.0.0.2")).expect("its own budget");
        drop(first);
        assert_eq!(limit.open(key("10.0.0.1")), 1);
        assert!(limit.try_open(key("10.0.0.1")).is_some());
    }

    #[test]
    fn a_limit_of_zero_counts_nothing() {
        let limit = Arc::new(PerIpConnections::new(0));
        let permits: Vec<_> = (0..100)
            .map(|_| limit.try_open(key("10.0.0.1")).unwrap())
            .collect();
        assert_eq!(permits.len(), 100);
        assert_eq!(limit.open(key("10.0.0.1")), 0);
    }
}
