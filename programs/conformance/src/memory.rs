//! The VM's in-memory host: the same Wasm modules through `molt-vm`, the
//! node's packages, caps and storage copied into a `MemoryHost`.

use crate::node::GAS_BUDGET;
use crate::observed::{Failure, Observed};
use crate::{BlockEnv, Step, StepKind, World};
use molt_types::Address;
use molt_vm::{CallContext, CallTarget, Host, MemoryHost, PackageInfo, Vm, VmConfig};
use std::collections::BTreeMap;

pub struct Memory {
    vm: Vm,
    pub host: MemoryHost,
}

impl Memory {
    pub fn new() -> Memory {
        Memory {
            vm: Vm::new(VmConfig::default()).expect("the default VM configuration is valid"),
            host: MemoryHost::new(),
        }
    }

    pub fn run(&mut self, step: &Step, env: BlockEnv, world: &World) -> Observed {
        let events_before = self.host.events().len();
        let (caller, ticket_call) = match &step.kind {
            StepKind::View => (Address::ZERO, false),
            StepKind::Call { sender } => (world.address(*sender), false),
            StepKind::Ticket { sender } => (world.address(*sender), true),
        };
        let result = self.call(step, caller, ticket_call, env);
        let events = self.host.events()[events_before..]
            .iter()
            .map(|e| (e.emitter, e.name.clone(), e.data.clone()))
            .collect();
        let tickets = matches!(step.kind, StepKind::Ticket { .. }).then(|| {
            self.host
                .tickets()
                .iter()
                .filter(|t| t.cap == world.names.callee_cap)
                .map(|t| t.digest)
                .collect()
        });
        let storage = world
            .namespaces()
            .into_iter()
            .map(|ns| (ns, self.host.entries(&ns)))
            .collect::<BTreeMap<_, _>>();
        Observed {
            result,
            events,
            tickets,
            storage,
        }
    }

    fn call(
        &mut self,
        step: &Step,
        caller: Address,
        ticket_call: bool,
        env: BlockEnv,
    ) -> Result<Option<Vec<u8>>, Failure> {
        let info: PackageInfo = self
            .host
            .resolve_package(&step.package)
            .expect("MemoryHost never fails")
            .ok_or(Failure::UnknownPackage {
                package: step.package,
            })?;
        let module = self
            .vm
            .load(&mut self.host, &info)
            .map_err(|e| Failure::from_vm(&e))?;
        let ctx = CallContext {
            caller,
            origin: caller,
            block_height: env.height,
            block_time_ms: env.time_ms,
            package: info,
            ticket_call,
            attached_coin: 0,
        };
        let target = CallTarget::Function(step.function.clone());
        self.vm
            .call(
                &module,
                &mut self.host,
                ctx,
                &target,
                &step.args,
                GAS_BUDGET,
            )
            .map(|out| Some(out.return_data))
            .map_err(|e| Failure::from_vm(&e.error))
    }
}
