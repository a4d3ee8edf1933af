#!/usr/bin/env python3
"""Checks docker-compose.yml without a Docker engine (`.ci/run`; `docker compose config` needs the
compose plugin, which CI does not have): the YAML parses (anchors and merge keys resolved), and
the deployment rules hold:

- every service has a health check (not disabled) and a restart policy;
- every `depends_on` names a service, every named volume is declared;
- the authorizer runs at least two replicas;
- the `cluster` profile has three NATS nodes, each with its own name, store volume and
  monitoring port, routes to all three, and deploy/compose-cluster.env points the services at
  them with MRAP_KV_REPLICAS=3;
- `${VAR...}` interpolations are well formed.

Usage: python3 deploy/compose_check.py [docker-compose.yml]   (needs PyYAML)
"""

import re
import sys
from pathlib import Path

import yaml

RESTART = {"always", "unless-stopped", "on-failure"}


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else root / "docker-compose.yml"
    text = path.read_text()
    errors = []

    for m in re.finditer(r"\$\{([^}]*)\}", text):
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*((:?[-?+]).*)?", m.group(1)):
            errors.append(f"malformed interpolation ${{{m.group(1)}}}")

    doc = yaml.safe_load(text)
    services = doc.get("services") or {}
    volumes = set((doc.get("volumes") or {}).keys())
    if not services:
        errors.append("no services")

    for name, svc in services.items():
        if not isinstance(svc, dict):
            errors.append(f"{name}: not a mapping")
            continue
        if "image" not in svc and "build" not in svc:
            errors.append(f"{name}: neither image nor build")
        hc = svc.get("healthcheck")
        if not isinstance(hc, dict) or hc.get("disable") or not hc.get("test"):
            errors.append(f"{name}: no health check")
        if svc.get("restart") not in RESTART:
            errors.append(f"{name}: restart policy {svc.get('restart')!r}, want one of {sorted(RESTART)}")
        deps = svc.get("depends_on") or {}
        for dep in deps if isinstance(deps, (list, dict)) else []:
            if dep not in services:
                errors.append(f"{name}: depends_on unknown service {dep}")
        for vol in svc.get("volumes") or []:
            source = vol.split(":", 1)[0] if isinstance(vol, str) else vol.get("source", "")
            if source and not source.startswith((".", "/")) and source not in volumes:
                errors.append(f"{name}: volume {source} is not declared")

    authorizer = services.get("authorizer") or {}
    replicas = ((authorizer.get("deploy") or {}).get("replicas")) or 1
    if replicas < 2:
        errors.append(f"authorizer: {replicas} replica(s), want at least 2")

    nodes = {
        name: svc
        for name, svc in services.items()
        if "cluster" in (svc.get("profiles") or []) and "nats" in str(svc.get("image", ""))
    }
    if len(nodes) != 3:
        errors.append(f"profile cluster: {len(nodes)} NATS nodes, want 3")
    names, stores = set(), set()
    for name, svc in nodes.items():
        cmd = svc.get("command") or []
        args = dict(zip(cmd, cmd[1:]))
        names.add(args.get("-n"))
        routes = set((args.get("--routes") or "").split(","))
        for other in nodes:
            if not any(r.startswith(f"nats://{other}:") for r in routes):
                errors.append(f"{name}: no route to {other}")
        for flag in ("-js", "--cluster", "--cluster_name", "-m", "-c"):
            if flag not in cmd:
                errors.append(f"{name}: no {flag}")
        for vol in svc.get("volumes") or []:
            if isinstance(vol, str) and vol.endswith(":/data"):
                stores.add(vol.split(":", 1)[0])
    if len(names - {None}) != len(nodes):
        errors.append(f"profile cluster: node names {sorted(map(str, names))} are not distinct")
    if len(stores) != len(nodes):
        errors.append(f"profile cluster: store volumes {sorted(stores)} are not one per node")

    env_file = root / "deploy" / "compose-cluster.env"
    env = dict(
        line.split("=", 1)
        for line in env_file.read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    urls = env.get("MRAP_NATS_URL", "").split(",")
    if sorted(u.split("//", 1)[-1].split(":")[0] for u in urls) != sorted(nodes):
        errors.append(f"{env_file.name}: MRAP_NATS_URL {urls} does not name the cluster nodes {sorted(nodes)}")
    if env.get("MRAP_KV_REPLICAS") != "3":
        errors.append(f"{env_file.name}: MRAP_KV_REPLICAS is not 3")
    if "${MRAP_NATS_URL:-" not in text or "${MRAP_KV_REPLICAS:-" not in text:
        errors.append("the services must take MRAP_NATS_URL and MRAP_KV_REPLICAS from the environment")

    for e in errors:
        print(f"compose_check: {path.name}: {e}", file=sys.stderr)
    if not errors:
        print(f"compose_check: {path.name}: {len(services)} services ok (health checks, restart policies, "
              f"authorizer x{replicas}, cluster profile of {len(nodes)} NATS nodes)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
