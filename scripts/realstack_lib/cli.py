"""scripts/realstack build | up DIR [--mode nap|byo] [--gpu-nodes N --instance-type T] | down DIR"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from realstack_lib import build, stack
from realstack_lib import versions as V


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/realstack", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    building = commands.add_parser("build", help="build every binary into the cache (idempotent)")
    building.add_argument("--kaito-source", type=Path, help=f"a checkout of KAITO {V.KAITO} to build its controller "
                                                            "from (when the module proxy does not serve it)")
    starting = commands.add_parser("up", help="start a stack in DIR and print its kubeconfig")
    starting.add_argument("dir", type=Path)
    starting.add_argument("--mode", choices=("nap", "byo"), default="nap",
                          help="KAITO's install mode: auto-provisioned GPU nodes (nap) or your own (byo)")
    starting.add_argument("--gpu-nodes", type=int, default=0, help="GPU nodes to create up front (byo)")
    starting.add_argument("--instance-type", default="Standard_NC24ads_A100_v4", help="their VM size")
    stopping = commands.add_parser("down", help="stop what `up DIR` started")
    stopping.add_argument("dir", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            _, why = build.build_all(print, args.kaito_source)
            if why:
                print(f"realstack: KAITO's controller is not built: {why}")
        elif args.command == "up":
            running = stack.up(args.dir, mode=args.mode, gpu_nodes=args.gpu_nodes, instance_type=args.instance_type)
            print(running.kubeconfig)
        else:
            stack.down(args.dir)
    except (build.BuildError, stack.StackError) as exc:
        print(f"realstack: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
