//! The SDK's native test harness: the programs compiled as plain Rust,
//! installed in a `TestEnv` with the node's package versions, caps and
//! storage.

use crate::observed::{Failure, Observed};
use crate::{BlockEnv, Step, StepKind, World};
use molt_sdk::testing::TestEnv;
use molt_types::Address;
use std::collections::BTreeMap;

pub struct Native {
    pub env: TestEnv,
}

impl Native {
    pub fn new() -> Native {
        Native {
            env: TestEnv::new(),
        }
    }

    pub fn run(&mut self, step: &Step, env: BlockEnv, world: &World) -> Observed {
        let events_before = self.env.events().len();
        let (caller, ticket_call) = match &step.kind {
            StepKind::View => (Address::ZERO, false),
            StepKind::Call { sender } => (world.address(*sender), false),
            StepKind::Ticket { sender } => (world.address(*sender), true),
        };
        self.env.set_caller(caller);
        self.env.set_block(env.height, env.time_ms);
        self.env.set_ticket_call(ticket_call);
        let result = self
            .env
            .call_program(&step.package, &step.function, &step.args)
            .map(Some)
            .map_err(|e| Failure::from_program_error(&e));
        let events = self.env.events()[events_before..]
            .iter()
            .map(|e| (e.program, e.name.clone(), e.data.clone()))
            .collect();
        let tickets = matches!(step.kind, StepKind::Ticket { .. }).then(|| {
            self.env
                .tickets()
                .iter()
                .filter(|t| t.cap == world.names.callee_cap)
                .map(|t| t.digest)
                .collect()
        });
        let storage = world
            .namespaces()
            .into_iter()
            .map(|ns| (ns, self.env.storage_entries(&ns)))
            .collect::<BTreeMap<_, _>>();
        Observed {
            result,
            events,
            tickets,
            storage,
        }
    }
}
