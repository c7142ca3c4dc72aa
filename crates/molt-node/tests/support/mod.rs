//! What the node's multi-node and in-process tests share: free loopback
//! ports, a genesis of equal-power validators, each validator's network
//! settings, and waiting for a transaction's receipt. Each test binary uses
//! part of it.
#![allow(dead_code)]

use molt_node::{NetworkSettings, NodeHandle, Peer, Role};
use molt_runtime::{Genesis, ReceiptRecord, Validator};
use molt_types::{SecretKey, SignedTransaction};
use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

/// A loopback address with a port free right now.
pub fn free_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// The dev genesis with `keys` as its validators, each of power 1.
pub fn equal_validators(keys: &[SecretKey]) -> Genesis {
    let mut genesis = Genesis::dev();
    genesis.validators = keys
        .iter()
        .map(|k| Validator {
            address: k.address(),
            public_key: k.public_key(),
            voting_power: 1,
        })
        .collect();
    genesis
}

/// Validator `i` of `keys`, listening on `addrs[i]`, every other one its
/// peer.
pub fn validator_network(keys: &[SecretKey], addrs: &[SocketAddr], i: usize) -> NetworkSettings {
    NetworkSettings {
        key: keys[i].clone(),
        role: Role::Validator,
        listen: addrs[i],
        peers: keys
            .iter()
            .zip(addrs)
            .filter(|(k, _)| k.public_key() != keys[i].public_key())
            .map(|(k, a)| Peer {
                public_key: k.public_key(),
                address: *a,
            })
            .collect(),
        leader_timeout: None,
    }
}

/// Admits `tx` into `node`'s mempool and waits (30 s at most) for its
/// receipt.
pub fn include(node: &NodeHandle, tx: SignedTransaction) -> ReceiptRecord {
    let id = node.shared.admit(tx.clone(), &tx.encode()).unwrap();
    let t = Instant::now();
    loop {
        if let Some(r) = node.shared.runtime.receipt(&id).unwrap() {
            return r;
        }
        assert!(t.elapsed() < Duration::from_secs(30), "never included");
        std::thread::sleep(Duration::from_millis(10));
    }
}
