//! Components through WASI preview2: a `wasi:cli/run` command with args, env, stdout, a
//! preopen and exit status; the output cap; requests components cannot serve; wasi:http not
//! linked; and the network policy (name lookup and TCP connects).
//!
//! The components are written by hand in the component-model text format (canonical ABI
//! lowering included) and compiled by Wasmtime's `wat` support, so no toolchain or committed
//! binary is needed.

mod common;

use common::*;
use wassette_core::{
    Call, CoreError, HostGrant, Limits, NetworkPolicy, Preopen, RunControl, RunRequest, TrapCode,
};

/// Shared by both components: a bump allocator with the memory the canonical ABI lowers into.
const LIBC: &str = r#"
  (core module $Libc
    (memory (export "memory") 1)
    (global $next (mut i32) (i32.const 4096))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) (local $p i32)
      (local.set $p (i32.and (i32.add (global.get $next) (i32.sub (local.get 2) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get 2))))
      (global.set $next (i32.add (local.get $p) (local.get 3)))
      (local.get $p)))
  (core instance $libc (instantiate $Libc))
  (alias core export $libc "memory" (core memory $mem))
  (alias core export $libc "realloc" (core func $realloc))
"#;

/// `wasi:io` streams and `wasi:cli/stdout`, enough for `blocking-write-and-flush`.
const STDOUT_IMPORTS: &str = r#"
  (import "wasi:io/error@0.2.0" (instance $io-error (export "error" (type (sub resource)))))
  (alias export $io-error "error" (type $error))
  (import "wasi:io/streams@0.2.0" (instance $streams
    (alias outer $C $error (type $err))
    (export "error" (type $err2 (eq $err)))
    (export "output-stream" (type $os (sub resource)))
    (type $se (variant (case "last-operation-failed" (own $err2)) (case "closed")))
    (export "stream-error" (type $stream-error (eq $se)))
    (export "[method]output-stream.blocking-write-and-flush"
      (func (param "self" (borrow $os)) (param "contents" (list u8))
            (result (result (error $stream-error)))))))
  (alias export $streams "output-stream" (type $output-stream))
  (import "wasi:cli/stdout@0.2.0" (instance $stdout
    (alias outer $C $output-stream (type $os))
    (export "output-stream" (type $os2 (eq $os)))
    (export "get-stdout" (func (result (own $os2))))))
  (alias export $stdout "get-stdout" (func $get-stdout))
  (alias export $streams "[method]output-stream.blocking-write-and-flush" (func $write))
"#;

/// Prints each argument, each `NAME=value` and each preopened directory's guest path on its
/// own line; the run fails (exit 1) when there are more than three arguments.
fn cli_component() -> String {
    format!(
        r#"(component $C
  {STDOUT_IMPORTS}
  (import "wasi:cli/environment@0.2.0" (instance $environment
    (export "get-environment" (func (result (list (tuple string string)))))
    (export "get-arguments" (func (result (list string))))))
  (import "wasi:filesystem/types@0.2.0" (instance $fs-types
    (export "descriptor" (type (sub resource)))))
  (alias export $fs-types "descriptor" (type $descriptor))
  (import "wasi:filesystem/preopens@0.2.0" (instance $preopens
    (alias outer $C $descriptor (type $d))
    (export "descriptor" (type $d2 (eq $d)))
    (export "get-directories" (func (result (list (tuple (own $d2) string)))))))
  (alias export $environment "get-arguments" (func $get-arguments))
  (alias export $environment "get-environment" (func $get-environment))
  (alias export $preopens "get-directories" (func $get-directories))
  {LIBC}
  (core func $get-stdout-lowered (canon lower (func $get-stdout)))
  (core func $write-lowered (canon lower (func $write) (memory $mem)))
  (core func $get-arguments-lowered (canon lower (func $get-arguments) (memory $mem) (realloc $realloc)))
  (core func $get-environment-lowered (canon lower (func $get-environment) (memory $mem) (realloc $realloc)))
  (core func $get-directories-lowered (canon lower (func $get-directories) (memory $mem) (realloc $realloc)))
  (core module $Main
    (import "libc" "memory" (memory 1))
    (import "host" "get-stdout" (func $get-stdout (result i32)))
    (import "host" "write" (func $write (param i32 i32 i32 i32)))
    (import "host" "get-arguments" (func $get-arguments (param i32)))
    (import "host" "get-environment" (func $get-environment (param i32)))
    (import "host" "get-directories" (func $get-directories (param i32)))
    (global $out (mut i32) (i32.const 0))
    (data (i32.const 8) "=\n")
    (func $print (param $ptr i32) (param $len i32)
      (call $write (global.get $out) (local.get $ptr) (local.get $len) (i32.const 32)))
    (func $newline (call $print (i32.const 9) (i32.const 1)))
    (func (export "run") (result i32) (local $i i32) (local $n i32) (local $e i32) (local $argc i32)
      (global.set $out (call $get-stdout))
      (call $get-arguments (i32.const 16))
      (local.set $argc (i32.load (i32.const 20)))
      (local.set $i (i32.const 0))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $argc)))
        (local.set $e (i32.add (i32.load (i32.const 16)) (i32.mul (local.get $i) (i32.const 8))))
        (call $print (i32.load (local.get $e)) (i32.load offset=4 (local.get $e)))
        (call $newline)
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
      (call $get-environment (i32.const 16))
      (local.set $n (i32.load (i32.const 20)))
      (local.set $i (i32.const 0))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $e (i32.add (i32.load (i32.const 16)) (i32.mul (local.get $i) (i32.const 16))))
        (call $print (i32.load (local.get $e)) (i32.load offset=4 (local.get $e)))
        (call $print (i32.const 8) (i32.const 1))
        (call $print (i32.load offset=8 (local.get $e)) (i32.load offset=12 (local.get $e)))
        (call $newline)
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
      (call $get-directories (i32.const 16))
      (local.set $n (i32.load (i32.const 20)))
      (local.set $i (i32.const 0))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $e (i32.add (i32.load (i32.const 16)) (i32.mul (local.get $i) (i32.const 12))))
        (call $print (i32.load offset=4 (local.get $e)) (i32.load offset=8 (local.get $e)))
        (call $newline)
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
      (i32.gt_u (local.get $argc) (i32.const 3))))
  (core instance $main (instantiate $Main
    (with "libc" (instance $libc))
    (with "host" (instance
      (export "get-stdout" (func $get-stdout-lowered))
      (export "write" (func $write-lowered))
      (export "get-arguments" (func $get-arguments-lowered))
      (export "get-environment" (func $get-environment-lowered))
      (export "get-directories" (func $get-directories-lowered))))))
  (func $run (result (result)) (canon lift (core func $main "run")))
  (instance $run-instance (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $run-instance)))"#
    )
}

fn run_component(wat: &str, request: &RunRequest, limits: &Limits) -> wassette_core::Outcome {
    let e = engine();
    let c = e.compile(wat.as_bytes()).expect("compiles");
    assert!(c.is_component());
    e.run(&c, request, limits, &RunControl::default())
        .expect("starts")
}

#[test]
fn a_command_component_sees_args_env_and_preopens_and_writes_stdout() {
    let dir = std::env::temp_dir().join(format!("wassette-component-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let req = RunRequest {
        args: vec!["cli.wasm".into(), "one".into(), "two".into()],
        env: vec![("APP_MODE".into(), "test".into())],
        preopens: vec![Preopen {
            host_path: dir.clone(),
            guest_path: "/data".into(),
            read_only: true,
        }],
        ..RunRequest::default()
    };
    let out = run_component(&cli_component(), &req, &limits());
    assert_eq!(out.trap, None, "{:?}", out.message);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "cli.wasm\none\ntwo\nAPP_MODE=test\n/data\n"
    );
    assert_eq!(out.exit_code, Some(0));
    assert!(out.memory_used_bytes >= PAGE as u64);

    let failing = RunRequest {
        args: vec!["cli.wasm".into(), "a".into(), "b".into(), "c".into()],
        ..RunRequest::default()
    };
    let out = run_component(&cli_component(), &failing, &limits());
    assert_eq!((out.exit_code, out.trap), (Some(1), None));
    assert_eq!(out.stdout, b"cli.wasm\na\nb\nc\n");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_component_is_held_to_the_output_cap() {
    let req = RunRequest {
        args: vec!["cli.wasm".into(), "0123456789".into()],
        ..RunRequest::default()
    };
    let l = Limits {
        max_output_bytes: 12,
        ..limits()
    };
    let out = run_component(&cli_component(), &req, &l);
    assert_eq!(out.trap, Some(TrapCode::OutputLimit), "{:?}", out.message);
    assert_eq!(out.stdout, b"cli.wasm\n012");
    assert_eq!(out.output_bytes, 19);
}

#[test]
fn a_component_whose_memory_is_over_the_cap_does_not_start() {
    let l = Limits {
        max_memory_bytes: PAGE / 2,
        ..limits()
    };
    let out = run_component(&cli_component(), &command(), &l);
    assert_eq!(out.trap, Some(TrapCode::MemoryLimit), "{:?}", out.message);
}

#[test]
fn components_only_run_as_commands() {
    let e = engine();
    let c = e.compile(cli_component().as_bytes()).unwrap();
    let req = RunRequest {
        call: Call::Function {
            name: "run".into(),
            args: vec![],
        },
        ..command()
    };
    let err = e
        .run(&c, &req, &limits(), &RunControl::default())
        .unwrap_err();
    assert!(
        matches!(&err, CoreError::Invalid(m) if m.contains("commands")),
        "{err}"
    );

    let library = e.compile(b"(component)").unwrap();
    let err = e
        .run(&library, &command(), &limits(), &RunControl::default())
        .unwrap_err();
    assert!(
        matches!(&err, CoreError::Invalid(m) if m.contains("wasi:cli/run")),
        "{err}"
    );
}

#[test]
fn wasi_http_is_not_linked() {
    let e = engine();
    let c = e
        .compile(
            br#"(component
                 (import "wasi:http/outgoing-handler@0.2.0" (instance
                   (export "handle" (func))))
                 )"#,
        )
        .unwrap();
    let err = e
        .run(&c, &command(), &limits(), &RunControl::default())
        .unwrap_err();
    assert!(matches!(err, CoreError::Link(_)), "{err}");
    assert!(
        err.message().contains("wasi:http/outgoing-handler@0.2.0"),
        "{err}"
    );
}

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
fn a_glob_host_is_refused_before_running() {
    let e = engine();
    let c = e.compile(network_component(1).as_bytes()).unwrap();
    let req = RunRequest {
        network: hosts(&[("*.example.com", None)]),
        ..command()
    };
    let err = e
        .run(&c, &req, &limits(), &RunControl::default())
        .unwrap_err();
    assert!(
        matches!(&err, CoreError::Grant(m) if m.contains("*.example.com")),
        "{err}"
    );
}
