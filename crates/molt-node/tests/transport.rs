//! The RPC transport against clients that stop reading, over real sockets
//! to a running node.

use molt_node::{Node, NodeConfig};
use serde_json::{Value, json};
use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn connections(url: &str) -> u64 {
    let agent = ureq::AgentBuilder::new().max_idle_connections(0).build();
    let r: Value = agent
        .post(url)
        .send_json(json!({"jsonrpc": "2.0", "id": 1, "method": "molt_nodeStatus", "params": []}))
        .unwrap()
        .into_json()
        .unwrap();
    r["result"]["rpc"]["connections"].as_u64().unwrap()
}

#[test]
fn a_client_that_never_reads_its_responses_is_dropped_after_the_send_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut config = NodeConfig::dev(dir.path().to_path_buf(), 0, Duration::from_millis(200));
    config.rpc.send_timeout = Duration::from_millis(1000);
    let send_timeout = config.rpc.send_timeout;
    let node = rt.block_on(Node::start(config)).unwrap();
    let url = format!("http://{}", node.rpc_addr);

    // Pipelined requests for the OpenRPC document (about 14 KiB each): tens
    // of MiB of responses that no one reads fill every socket buffer.
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"rpc.discover"}"#;
    let request = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut reader_that_never_reads = TcpStream::connect(node.rpc_addr).unwrap();
    reader_that_never_reads
        .set_write_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    for _ in 0..3000 {
        if reader_that_never_reads
            .write_all(request.as_bytes())
            .is_err()
        {
            break; // the node already gave up on us
        }
    }
    let written = Instant::now();
    assert!(connections(&url) >= 2, "the stalled reader holds a slot");
    loop {
        if connections(&url) == 1 {
            break;
        }
        assert!(
            written.elapsed() < send_timeout + Duration::from_secs(10),
            "the node still holds a connection whose responses are unread"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    println!(
        "unread connection dropped {} ms after the last write (send timeout {} ms)",
        written.elapsed().as_millis(),
        send_timeout.as_millis()
    );
    drop(reader_that_never_reads);
    rt.block_on(node.stop()).unwrap();
}
