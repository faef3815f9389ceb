//! Deterministic fuel for core modules: a meter the `interrupt` pass compiles into the module,
//! in the same units and at the same places as the js engine's (`injectFuelMeter` in
//! `@portalis/wasm-binary`), so one module with one input consumes the same fuel on both engines.
//!
//! Why not Wasmtime's own fuel: its check ends in a call into the runtime on the slow path, and
//! in a hot floating-point loop that call makes Cranelift spill registers on the fast path too
//! (3.7x on a matrix product; the same cause as epochs, see `interrupt`). This meter traps with
//! `unreachable` instead, so nothing is spilled.
//!
//! The meter: the fuel left lives in a mutable i64 global the host creates per run and passes as
//! the module's second import (`wassette:runtime` / `fuel`; guest global indices move up by one,
//! so no guest instruction can name it). Each function charges, on entry, the instructions of its
//! body outside loops, and each loop charges the instructions of its own body (outside nested
//! loops) at its header on every iteration. Charging a whole region up front makes the count
//! independent of the branches taken. A function keeps the fuel in a local (a register) and
//! writes it back to the global before calls, returns and branches out of the body, reloading it
//! after calls; a function with exception handlers charges the global directly, since a handler
//! is reached from a throw past every write-back. When the fuel does not cover a charge, the
//! global is set to the (negative) difference and the guest traps: a negative global after an
//! `unreachable` trap is how the run tells running out of fuel from the guest's own trap.

use std::collections::HashMap;

use wasm_encoder::{BlockType, Function, Instruction};
use wasmparser::Operator;

/// The import name of the fuel global (module `interrupt::IMPORT_MODULE`).
pub(crate) const IMPORT_NAME: &str = "fuel";

/// The fuel global's index in instrumented modules: the first global import.
const GLOBAL: u32 = 0;

/// Fuel charged at function entry and at each loop header (by operator index).
pub(crate) struct Costs {
    pub(crate) entry: u64,
    pub(crate) loops: HashMap<usize, u64>,
}

/// block, loop, if, try, try_table.
fn starts_block(op: &Operator) -> bool {
    matches!(
        op,
        Operator::Block { .. }
            | Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::Try { .. }
            | Operator::TryTable { .. }
    )
}

/// Calls: the callee spends from the global, so the cached copy is written back before and
/// reloaded after.
pub(crate) fn is_call(op: &Operator) -> bool {
    matches!(
        op,
        Operator::Call { .. } | Operator::CallIndirect { .. } | Operator::CallRef { .. }
    )
}

/// A body with exception handlers meters through the global.
pub(crate) fn has_handlers(ops: &[Operator]) -> bool {
    ops.iter()
        .any(|op| matches!(op, Operator::Try { .. } | Operator::TryTable { .. }))
}

/// The costs of a body's regions: one unit per operator (the final `end` included), charged to
/// the innermost loop around it, or to the function entry outside loops. A loop instruction
/// belongs to the region around it, its `end` to its own.
pub(crate) fn costs(ops: &[Operator]) -> Costs {
    let mut loops = HashMap::new();
    let mut entry = 0u64;
    // Open blocks: Some(index) for a loop, None for another block.
    let mut open: Vec<Option<usize>> = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        match open.iter().rev().find_map(|b| *b) {
            Some(region) => *loops.entry(region).or_insert(0) += 1,
            None => entry += 1,
        }
        if starts_block(op) {
            open.push(matches!(op, Operator::Loop { .. }).then_some(i));
        } else if matches!(op, Operator::End | Operator::Delegate { .. }) {
            open.pop();
        }
    }
    Costs { entry, loops }
}

/// Tracks block depth through a body and tells which operators can leave it.
#[derive(Default)]
pub(crate) struct Depth(u32);

impl Depth {
    /// Whether `op` (seen at the current depth) can leave the function: returns, tail calls,
    /// throws, the body's final `end`, and branches to the body's own label.
    pub(crate) fn leaves_body(&self, op: &Operator) -> bool {
        let depth = self.0;
        match op {
            Operator::Return
            | Operator::ReturnCall { .. }
            | Operator::ReturnCallIndirect { .. }
            | Operator::ReturnCallRef { .. }
            | Operator::Throw { .. }
            | Operator::Rethrow { .. }
            | Operator::ThrowRef => true,
            Operator::End => depth == 0,
            Operator::Br { relative_depth }
            | Operator::BrIf { relative_depth }
            | Operator::BrOnNull { relative_depth }
            | Operator::BrOnNonNull { relative_depth }
            | Operator::BrOnCast { relative_depth, .. }
            | Operator::BrOnCastFail { relative_depth, .. } => *relative_depth == depth,
            Operator::BrTable { targets } => {
                targets.default() == depth || targets.targets().any(|t| t.ok() == Some(depth))
            }
            _ => false,
        }
    }

    /// Moves past `op`.
    pub(crate) fn after(&mut self, op: &Operator) {
        if starts_block(op) {
            self.0 += 1;
        } else if matches!(op, Operator::End) {
            self.0 = self.0.wrapping_sub(1);
        }
    }
}

fn cost(value: u64) -> Instruction<'static> {
    Instruction::I64Const(i64::try_from(value).unwrap_or(i64::MAX))
}

/// Copies the global into `local`.
pub(crate) fn reload(f: &mut Function, local: u32) {
    f.instruction(&Instruction::GlobalGet(GLOBAL));
    f.instruction(&Instruction::LocalSet(local));
}

/// Writes `local` back to the global.
pub(crate) fn flush(f: &mut Function, local: u32) {
    f.instruction(&Instruction::LocalGet(local));
    f.instruction(&Instruction::GlobalSet(GLOBAL));
}

/// Charges `amount` to the fuel in `local`: when it does not cover it, the global gets the
/// negative difference and the guest traps; otherwise `local -= amount`. Comparing before
/// subtracting keeps the check off the subtraction's result.
pub(crate) fn charge_local(f: &mut Function, local: u32, amount: u64) {
    f.instruction(&Instruction::LocalGet(local));
    f.instruction(&cost(amount));
    f.instruction(&Instruction::I64LtS);
    f.instruction(&Instruction::If(BlockType::Empty));
    f.instruction(&Instruction::LocalGet(local));
    f.instruction(&cost(amount));
    f.instruction(&Instruction::I64Sub);
    f.instruction(&Instruction::GlobalSet(GLOBAL));
    f.instruction(&Instruction::Unreachable);
    f.instruction(&Instruction::End);
    f.instruction(&Instruction::LocalGet(local));
    f.instruction(&cost(amount));
    f.instruction(&Instruction::I64Sub);
    f.instruction(&Instruction::LocalSet(local));
}

/// Charges `amount` to the global itself and traps once it is negative.
pub(crate) fn charge_global(f: &mut Function, amount: u64) {
    f.instruction(&Instruction::GlobalGet(GLOBAL));
    f.instruction(&cost(amount));
    f.instruction(&Instruction::I64Sub);
    f.instruction(&Instruction::GlobalSet(GLOBAL));
    f.instruction(&Instruction::GlobalGet(GLOBAL));
    f.instruction(&Instruction::I64Const(0));
    f.instruction(&Instruction::I64LtS);
    f.instruction(&Instruction::If(BlockType::Empty));
    f.instruction(&Instruction::Unreachable);
    f.instruction(&Instruction::End);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operators(wat: &str) -> Vec<Operator<'static>> {
        let bytes: &'static [u8] = Box::leak(wat::parse_str(wat).unwrap().into_boxed_slice());
        let mut ops = Vec::new();
        for payload in wasmparser::Parser::new(0).parse_all(bytes) {
            if let wasmparser::Payload::CodeSectionEntry(body) = payload.unwrap() {
                for op in body.get_operators_reader().unwrap() {
                    ops.push(op.unwrap());
                }
            }
        }
        ops
    }

    #[test]
    fn regions_are_charged_to_the_innermost_loop_or_the_entry() {
        // Entry: block, the outer loop instruction, the block's end, the body's end = 4. Outer
        // loop: the inner loop instruction, local.get, br_if, its end = 4. Inner loop: 3.
        let ops = operators(
            r#"(module (func (param i32)
                 (block
                   (loop                          ;; 1
                     (loop                        ;; 2
                       (br_if 0 (local.get 0)))   ;; in loop 2: local.get, br_if, end
                     (br_if 0 (local.get 0))))))  ;; in loop 1: loop, local.get, br_if, end"#,
        );
        let c = costs(&ops);
        assert_eq!(c.entry, 4);
        let mut loops: Vec<_> = c.loops.into_iter().collect();
        loops.sort();
        assert_eq!(loops, vec![(1, 4), (2, 3)]);
    }

    #[test]
    fn branches_to_the_body_label_leave_it_and_inner_ones_do_not() {
        let ops = operators(
            r#"(module (func (param i32)
                 (br_if 0 (local.get 0))
                 (block (br_if 0 (local.get 0)) (br_if 1 (local.get 0))
                        (br_table 0 0 (local.get 0)) (br_table 0 1 (local.get 0)))))"#,
        );
        let mut depth = Depth::default();
        let mut leaving = Vec::new();
        for (i, op) in ops.iter().enumerate() {
            if depth.leaves_body(op) {
                leaving.push(i);
            }
            depth.after(op);
        }
        // local.get, br_if (leaves), block, local.get, br_if 0, local.get, br_if 1 (leaves),
        // local.get, br_table 0 0, local.get, br_table 0 1 (leaves), end, end (leaves).
        assert_eq!(leaving, vec![1, 6, 10, 12]);
    }
}
