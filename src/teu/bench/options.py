"""What `teu bench` is asked to measure: one typed shape shared by the CLI, teu.api and
every measurement module."""

from __future__ import annotations

from dataclasses import dataclass, field

DENSITY_STEPS = (1, 10, 50, 100)


@dataclass
class BenchOptions:
    image: str | None = None        # from the user's store; None: busybox made locally
    store_root: str | None = None   # that store (default: $TEU_ROOT, as teu's verbs)
    runs: int = 10                  # samples per startup row
    density: int = 100              # the largest count of idle containers at once
    memory_containers: int = 10     # idle containers beside which memory is measured
    vm: bool = False                # boot the same userland in qemu too
    vm_accel: str = "auto"          # auto (KVM if it boots, else TCG), kvm, tcg
    scenario: str | None = None     # "shop": the multi-service e-commerce scenario
    peers: tuple[str, ...] | None = None   # None: podman and docker when installed
    seconds: int = 5                # each throughput round
    rounds: int = 3                 # alternating throughput rounds
    network: bool = True            # rows needing a published port (a bridge)
    kernel_dir: str | None = None   # where the VM's kernel is (default: TEU_PEERS)
    workdir: str | None = None      # parent of the private roots (default: a temp dir)
    progress: bool = True
    extras: dict = field(default_factory=dict)

    def density_steps(self, limit: int) -> list[int]:
        """1, 10, 50, 100 up to the asked count and the machine's limit (the last step
        is the count itself when it is not one of those)."""
        top = min(self.density, limit)
        steps = [n for n in DENSITY_STEPS if n < top]
        return [*steps, top] if top > 0 else []
