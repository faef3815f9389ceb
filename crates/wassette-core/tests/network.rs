//! The network policy of components: closed by default, then only the granted addresses and
//! ports (name lookup and TCP connects through WASI preview2 sockets); globs grant no socket.

mod common;

use common::components::*;
use common::*;
use wassette_core::{CoreError, HostGrant, NetworkPolicy, RunControl, RunRequest};

/// Looks up `localhost`, creates a TCP socket and starts connecting to 127.0.0.1:`port`.
/// Prints one letter per step: `Y` for success, otherwise `a` + the `error-code` index
/// (`b` access-denied, `u` permanent-resolver-failure), `-` for a step skipped.
fn network_component(port: u16) -> String {
    format!(
        r#"(component $C
  {STDOUT_IMPORTS}
  (import "wasi:sockets/network@0.2.0" (instance $network
    (export "network" (type (sub resource)))
    (type $ec (enum "unknown" "access-denied" "not-supported" "invalid-argument" "out-of-memory"
      "timeout" "concurrency-conflict" "not-in-progress" "would-block" "invalid-state"
      "new-socket-limit" "address-not-bindable" "address-in-use" "remote-unreachable"
      "connection-refused" "connection-reset" "connection-aborted" "datagram-too-large"
      "name-unresolvable" "temporary-resolver-failure" "permanent-resolver-failure"))
    (export "error-code" (type (eq $ec)))
    (type $af (enum "ipv4" "ipv6"))
    (export "ip-address-family" (type (eq $af)))
    (type $v4 (record (field "port" u16) (field "address" (tuple u8 u8 u8 u8))))
    (export "ipv4-socket-address" (type $v4e (eq $v4)))
    (type $v6 (record (field "port" u16) (field "flow-info" u32)
      (field "address" (tuple u16 u16 u16 u16 u16 u16 u16 u16)) (field "scope-id" u32)))
    (export "ipv6-socket-address" (type $v6e (eq $v6)))
    (type $sa (variant (case "ipv4" $v4e) (case "ipv6" $v6e)))
    (export "ip-socket-address" (type (eq $sa)))))
  (alias export $network "network" (type $net))
  (alias export $network "error-code" (type $error-code))
  (alias export $network "ip-address-family" (type $family))
  (alias export $network "ip-socket-address" (type $socket-address))
  (import "wasi:sockets/instance-network@0.2.0" (instance $instance-network
    (alias outer $C $net (type $n)) (export "network" (type $n2 (eq $n)))
    (export "instance-network" (func (result (own $n2))))))
  (import "wasi:sockets/ip-name-lookup@0.2.0" (instance $lookup
    (alias outer $C $net (type $n)) (export "network" (type $n2 (eq $n)))
    (alias outer $C $error-code (type $ec)) (export "error-code" (type $ec2 (eq $ec)))
    (export "resolve-address-stream" (type $s (sub resource)))
    (export "resolve-addresses" (func (param "network" (borrow $n2)) (param "name" string)
      (result (result (own $s) (error $ec2)))))))
  (import "wasi:sockets/tcp@0.2.0" (instance $tcp
    (alias outer $C $net (type $n)) (export "network" (type $n2 (eq $n)))
    (alias outer $C $error-code (type $ec)) (export "error-code" (type $ec2 (eq $ec)))
    (alias outer $C $socket-address (type $sa)) (export "ip-socket-address" (type $sa2 (eq $sa)))
    (export "tcp-socket" (type $sock (sub resource)))
    (export "[method]tcp-socket.start-connect" (func (param "self" (borrow $sock))
      (param "network" (borrow $n2)) (param "remote-address" $sa2) (result (result (error $ec2)))))))
  (alias export $tcp "tcp-socket" (type $tcp-socket))
  (import "wasi:sockets/tcp-create-socket@0.2.0" (instance $create
    (alias outer $C $error-code (type $ec)) (export "error-code" (type $ec2 (eq $ec)))
    (alias outer $C $family (type $f)) (export "ip-address-family" (type $f2 (eq $f)))
    (alias outer $C $tcp-socket (type $t)) (export "tcp-socket" (type $t2 (eq $t)))
    (export "create-tcp-socket" (func (param "address-family" $f2)
      (result (result (own $t2) (error $ec2)))))))
  (alias export $instance-network "instance-network" (func $instance-network))
  (alias export $lookup "resolve-addresses" (func $resolve))
  (alias export $create "create-tcp-socket" (func $create-socket))
  (alias export $tcp "[method]tcp-socket.start-connect" (func $connect))
  {LIBC}
  (core func $get-stdout-lowered (canon lower (func $get-stdout)))
  (core func $write-lowered (canon lower (func $write) (memory $mem)))
  (core func $instance-network-lowered (canon lower (func $instance-network)))
  (core func $resolve-lowered (canon lower (func $resolve) (memory $mem) (realloc $realloc)))
  (core func $create-lowered (canon lower (func $create-socket) (memory $mem)))
  (core func $connect-lowered (canon lower (func $connect) (memory $mem)))
  (core module $Main
    (import "libc" "memory" (memory 1))
    (import "host" "get-stdout" (func $get-stdout (result i32)))
    (import "host" "write" (func $write (param i32 i32 i32 i32)))
    (import "host" "instance-network" (func $instance-network (result i32)))
    (import "host" "resolve" (func $resolve (param i32 i32 i32 i32)))
    (import "host" "create" (func $create (param i32 i32)))
    (import "host" "connect" (func $connect
      (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))
    (data (i32.const 64) "localhost")
    ;; Prints `Y` when the result at `at` is ok, else `a` + the error code at `at + code_at`.
    (func $report (param $out i32) (param $at i32) (param $code_at i32)
      (if (i32.load8_u (local.get $at))
        (then (i32.store8 (i32.const 8) (i32.add (i32.const 97)
                (i32.load8_u (i32.add (local.get $at) (local.get $code_at))))))
        (else (i32.store8 (i32.const 8) (i32.const 89))))
      (call $write (local.get $out) (i32.const 8) (i32.const 1) (i32.const 48)))
    (func (export "run") (result i32) (local $out i32) (local $net i32)
      (local.set $out (call $get-stdout))
      (local.set $net (call $instance-network))
      (call $resolve (local.get $net) (i32.const 64) (i32.const 9) (i32.const 16))
      (call $report (local.get $out) (i32.const 16) (i32.const 4))
      (call $create (i32.const 0) (i32.const 24))
      (call $report (local.get $out) (i32.const 24) (i32.const 4))
      (if (i32.load8_u (i32.const 24))
        (then
          (i32.store8 (i32.const 8) (i32.const 45))
          (call $write (local.get $out) (i32.const 8) (i32.const 1) (i32.const 48)))
        (else
          (call $connect (i32.load (i32.const 28)) (local.get $net)
            (i32.const 0) (i32.const {port}) (i32.const 127) (i32.const 0) (i32.const 0) (i32.const 1)
            (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
            (i32.const 32))
          (call $report (local.get $out) (i32.const 32) (i32.const 1))))
      (i32.const 0)))
  (core instance $main (instantiate $Main
    (with "libc" (instance $libc))
    (with "host" (instance
      (export "get-stdout" (func $get-stdout-lowered))
      (export "write" (func $write-lowered))
      (export "instance-network" (func $instance-network-lowered))
      (export "resolve" (func $resolve-lowered))
      (export "create" (func $create-lowered))
      (export "connect" (func $connect-lowered))))))
  (func $run (result (result)) (canon lift (core func $main "run")))
  (instance $run-instance (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $run-instance)))"#
    )
}

fn network_run(port: u16, network: NetworkPolicy) -> String {
    let req = RunRequest {
        network,
        ..command()
    };
    let out = run_component(&network_component(port), &req, &limits());
    assert_eq!(
        (out.trap, out.exit_code),
        (None, Some(0)),
        "{:?}",
        out.message
    );
    String::from_utf8(out.stdout).unwrap()
}

fn hosts(hosts: &[(&str, Option<u16>)]) -> NetworkPolicy {
    NetworkPolicy {
        allow: true,
        hosts: hosts
            .iter()
            .map(|(host, port)| HostGrant {
                host: host.to_string(),
                port: *port,
            })
            .collect(),
    }
}

#[test]
fn the_network_is_closed_unless_hosts_are_granted() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();

    // Deny by default: no name lookup, no socket.
    assert_eq!(network_run(port, NetworkPolicy::default()), "ub-");
    // Allowed, but with no hosts: still nothing.
    assert_eq!(network_run(port, hosts(&[])), "ub-");
    // The granted address and port.
    assert_eq!(
        network_run(port, hosts(&[("127.0.0.1", Some(port))])),
        "YYY"
    );
    assert_eq!(network_run(port, hosts(&[("localhost", None)])), "YYY");
    // Another port or another address of the same run is refused.
    assert_eq!(
        network_run(port, hosts(&[("127.0.0.1", Some(port.wrapping_add(1)))])),
        "YYb"
    );
    assert_eq!(network_run(port, hosts(&[("10.1.2.3", None)])), "YYb");
}

#[test]
fn a_glob_grants_no_socket_and_no_name_lookup() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Globs are checked against wasi:http request names; sockets see addresses only.
    assert_eq!(network_run(port, hosts(&[("*.example.com", None)])), "ub-");
    assert_eq!(
        network_run(port, hosts(&[("*.example.com", None), ("127.0.0.1", None)])),
        "YYY"
    );
}
