//! The run task: a plan read on the JavaScript thread, run on the libuv pool, with an abort
//! listener that can stop it mid-run and a threadsafe function that streams its output.
//!
//! Why not napi's own `AbortSignal` argument: it only calls `napi_cancel_async_work`, which
//! stops work that is still queued; a guest that is already running keeps its pool thread
//! until its deadline. Here the signal's `abort` event sets the core's `RunControl::cancel`
//! flag instead, which the epoch callback checks every millisecond, queued or running.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;

use napi::bindgen_prelude::{
    Buffer, ClassInstance, FnArgs, Function, FunctionRef, JsObjectValue, Object, ObjectRef, Unknown,
};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, Status, Task, ValueType};
use wassette_core::{Call, Compiled, Limits, Outcome, RunControl, RunRequest, Stream};

use crate::engine::{EngineSlot, NativeModule};
use crate::failure::Failure;
use crate::outcome::NativeOutcome;
use crate::plan;
use crate::reader::{self, Reader};

/// `onOutput(stream, chunk)`, callable from any thread; calls are queued in order.
type OutputFn = ThreadsafeFunction<
    FnArgs<(&'static str, Buffer)>,
    Unknown<'static>,
    FnArgs<(&'static str, Buffer)>,
    Status,
    false,
>;

/// `addEventListener` and `removeEventListener`, called as `(type, listener)`.
type ListenerMethod<'s> = Function<'s, FnArgs<(&'static str, Function<'s, (), ()>)>, Unknown<'s>>;

/// Everything a run needs, read and checked on the JavaScript thread.
struct Prepared {
    slot: Arc<EngineSlot>,
    compiled: Compiled,
    request: RunRequest,
    limits: Limits,
    output: Option<Arc<OutputFn>>,
}

pub struct RunTask {
    /// Taken by `compute`; a bad argument is carried here so that it rejects the Promise
    /// instead of throwing.
    prepared: Option<Result<Prepared, Failure>>,
    cancel: Arc<AtomicBool>,
    /// Removed from the signal when the run settles, so a long-lived signal does not collect
    /// one listener per run.
    abort: Option<AbortListener>,
}

impl RunTask {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn prepare(
        env: &Env,
        engine_id: u64,
        unmetered: &Arc<EngineSlot>,
        metered: &Arc<EngineSlot>,
        module: Unknown,
        plan: Unknown,
        signal: Option<Unknown>,
        on_output: Option<Unknown>,
    ) -> RunTask {
        let cancel = Arc::new(AtomicBool::new(false));
        let mut abort = None;
        let prepared = (|| {
            let module = read_module(module, engine_id)?;
            let (request, limits) = plan::read_plan(plan)?;
            let output = read_output(on_output)?;
            if let Some(signal) = signal.filter(|s| !reader::is_absent(s)) {
                abort = AbortListener::attach(env, signal, &cancel)?;
            }
            Ok(Prepared {
                slot: if module.metered {
                    metered.clone()
                } else {
                    unmetered.clone()
                },
                compiled: module.compiled.clone(),
                request,
                limits,
                output,
            })
        })();
        RunTask {
            prepared: Some(prepared),
            cancel,
            abort,
        }
    }
}

impl Task for RunTask {
    type Output = Result<NativeOutcome, Failure>;
    type JsValue = NativeOutcome;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let prepared = self.prepared.take().expect("compute runs once");
        Ok(prepared.and_then(|p| run(p, &self.cancel)))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<NativeOutcome> {
        output.map_err(|f| f.into_napi(&env))
    }

    fn finally(self, env: Env) -> napi::Result<()> {
        if let Some(abort) = self.abort {
            abort.detach(&env);
        }
        Ok(())
    }
}

/// On a pool thread: the run itself.
fn run(p: Prepared, cancel: &Arc<AtomicBool>) -> Result<NativeOutcome, Failure> {
    let chunks = Arc::new(AtomicU32::new(0));
    let control = RunControl {
        cancel: cancel.clone(),
        on_output: p.output.map(|output| {
            let chunks = chunks.clone();
            Box::new(move |stream: Stream, bytes: &[u8]| {
                let name = match stream {
                    Stream::Stdout => "stdout",
                    Stream::Stderr => "stderr",
                };
                let args = FnArgs::from((name, Buffer::from(bytes.to_vec())));
                // Non-blocking on an unbounded queue: only fails once the function is closing.
                if output.call(args, ThreadsafeFunctionCallMode::NonBlocking) == Status::Ok {
                    chunks.fetch_add(1, Ordering::Relaxed);
                }
            }) as Box<dyn Fn(Stream, &[u8]) + Send + Sync>
        }),
    };
    let function_call = matches!(p.request.call, Call::Function { .. });
    let engine = p.slot.get()?;
    let outcome: Outcome = engine.run(&p.compiled, &p.request, &p.limits, &control)?;
    // The core has made every output call by now; dropping the control releases the function.
    drop(control);
    Ok(NativeOutcome::new(
        outcome,
        function_call,
        chunks.load(Ordering::Relaxed),
    ))
}

/// The compiled code of `module`, which must come from this engine.
fn read_module(module: Unknown, engine_id: u64) -> Result<NativeModuleParts, Failure> {
    let not_a_module = || {
        Failure::invalid(format!(
            "module must be a NativeModule from NativeEngine.compile (got {})",
            reader::type_name(&module)
        ))
    };
    if !reader::is(&module, ValueType::Object) {
        return Err(not_a_module());
    }
    // SAFETY: `ClassInstance::from_napi_value` checks that the object wraps a NativeModule.
    let instance =
        unsafe { module.cast::<ClassInstance<NativeModule>>() }.map_err(|_| not_a_module())?;
    if instance.engine_id != engine_id {
        return Err(Failure::invalid(
            "module was compiled by another NativeEngine; compile it with the engine that runs it",
        ));
    }
    Ok(NativeModuleParts {
        metered: instance.metered,
        compiled: instance.compiled.clone(),
    })
}

struct NativeModuleParts {
    metered: bool,
    compiled: Compiled,
}

fn read_output(on_output: Option<Unknown>) -> Result<Option<Arc<OutputFn>>, Failure> {
    let Some(f) = on_output.filter(|f| !reader::is_absent(f)) else {
        return Ok(None);
    };
    if !reader::is(&f, ValueType::Function) {
        return Err(Failure::invalid(format!(
            "onOutput must be a function (got {})",
            reader::type_name(&f)
        )));
    }
    let cannot =
        |e: napi::Error| Failure::invalid(format!("onOutput cannot be used: {}", e.reason));
    // SAFETY: checked to be a function just above.
    let f = unsafe { f.cast::<Function<FnArgs<(&'static str, Buffer)>, Unknown<'static>>>() }
        .map_err(cannot)?;
    let tsfn = f
        .build_threadsafe_function()
        .callee_handled::<false>()
        .build()
        .map_err(cannot)?;
    Ok(Some(Arc::new(tsfn)))
}

/// Our `abort` listener on the caller's `AbortSignal`.
struct AbortListener {
    signal: ObjectRef<false>,
    listener: FunctionRef<(), ()>,
}

impl AbortListener {
    /// Sets `cancel` now if the signal is already aborted (the run then ends `cancelled`
    /// before it starts), or when it fires later.
    fn attach(
        env: &Env,
        signal: Unknown,
        cancel: &Arc<AtomicBool>,
    ) -> Result<Option<AbortListener>, Failure> {
        let not_a_signal =
            |what: &str| Failure::invalid(format!("signal must be an AbortSignal ({what})"));
        let reader = Reader::new(signal, "signal")?;
        let aborted = reader
            .optional("aborted")?
            .filter(|a| reader::is(a, ValueType::Boolean))
            .ok_or_else(|| not_a_signal("it has no boolean 'aborted'"))?;
        // SAFETY: checked to be a boolean just above.
        if unsafe { aborted.cast::<bool>() }.unwrap_or(false) {
            cancel.store(true, Ordering::Relaxed);
            return Ok(None);
        }
        let add = reader
            .optional("addEventListener")?
            .filter(|f| reader::is(f, ValueType::Function))
            .ok_or_else(|| not_a_signal("it has no addEventListener"))?;
        let failed = |e: napi::Error| {
            Failure::invalid(format!("signal cannot be listened to: {}", e.reason))
        };
        // SAFETY: checked to be an object and a function just above.
        let object = unsafe { signal.cast::<Object>() }.map_err(failed)?;
        let add = unsafe { add.cast::<ListenerMethod>() }.map_err(failed)?;
        let flag = cancel.clone();
        let listener = env
            .create_function_from_closure::<(), (), _>("cancelWasmRun", move |_| {
                flag.store(true, Ordering::Relaxed);
                Ok(())
            })
            .map_err(failed)?;
        add.apply(object, FnArgs::from(("abort", listener)))
            .map_err(failed)?;
        Ok(Some(AbortListener {
            signal: object.create_ref::<false>().map_err(failed)?,
            listener: listener.create_ref().map_err(failed)?,
        }))
    }

    /// Best effort: a signal whose `removeEventListener` throws keeps a listener that only
    /// sets a flag nobody reads any more.
    fn detach(self, env: &Env) {
        let removed = (|| -> napi::Result<()> {
            let signal = self.signal.get_value(env)?;
            let listener = self.listener.borrow_back(env)?;
            let remove: ListenerMethod =
                signal.get_named_property_unchecked("removeEventListener")?;
            remove.apply(signal, FnArgs::from(("abort", listener)))?;
            Ok(())
        })();
        drop(removed);
        let _ = self.signal.unref(env);
    }
}
