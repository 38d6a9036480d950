#!/usr/bin/python3
"""A stand-in for `systemctl` inside the Debian root that rehearses a worker instance.

systemd is not running in a chroot, so this program does what the playbook's systemd_service
tasks ask of it, from the unit files the playbook wrote (R-LLM-3):
  - a service unit is started with its own ExecStart, as its User/Group, with the environment of
    its EnvironmentFile (and the few variables systemd itself sets), output appended to its
    StandardOutput file; start fails, as systemd's does (226/NAMESPACE), when a ReadWritePaths
    entry does not exist;
  - a mount unit is "active" when its What is the EFS address the rehearsal serves and the
    rehearsal has mounted the shared store at its Where (NFS itself is not rehearsed).
Restart=, the sandboxing options other than ReadWritePaths, and boot ordering are not emulated.
Standard library only: it runs on the root's own python3.
"""

import grp
import os
import pwd
import shlex
import subprocess
import signal
import sys
import time
from pathlib import Path

UNITS = Path("/etc/systemd/system")
STATE = Path("/run/systemctl-standin")
EFS = Path("/run/rehearsal/efs-ip")


def unit_file(name):
    """The unit's sections as {section: {key: [values]}} or None when there is no such file."""
    path = UNITS / name
    if not path.is_file():
        return None
    sections, current = {}, None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
        elif "=" in line and current is not None:
            key, value = line.split("=", 1)
            current.setdefault(key.strip(), []).append(value.strip())
    return sections


def setting(unit, section, key, default=""):
    return unit.get(section, {}).get(key, [default])[-1]


def pid_of(name):
    try:
        pid = int((STATE / f"{name}.pid").read_text())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def is_active(name):
    return (STATE / f"{name}.active").exists() or pid_of(name) is not None


def environment_of(unit):
    """What systemd gives a service: PATH, the User's identity, then its EnvironmentFile lines."""
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
    user = setting(unit, "Service", "User")
    if user:
        entry = pwd.getpwnam(user)
        env.update(HOME=entry.pw_dir, USER=user, LOGNAME=user, SHELL=entry.pw_shell)
    for name in unit.get("Service", {}).get("EnvironmentFile", []):
        optional = name.startswith("-")
        path = Path(name.lstrip("-"))
        if not path.exists():
            if optional:
                continue
            raise SystemExit(f"Failed to load environment files: {path} (status=226/NAMESPACE)")
        for line in path.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                env[key.strip()] = value.strip().strip('"')
    for line in unit.get("Service", {}).get("Environment", []):
        key, value = line.split("=", 1)
        env[key] = value
    return env


def start_mount(name, unit):
    what, where = setting(unit, "Mount", "What"), setting(unit, "Mount", "Where")
    expected = EFS.read_text().split() if EFS.exists() else []
    if what not in [f"{address}:/" for address in expected] or setting(unit, "Mount", "Type") != "nfs4":
        raise SystemExit(f"mount {name}: What={what} is not an EFS mount target {expected} over nfs4")
    if not (Path(where) / ".rehearsal-efs").exists():
        raise SystemExit(f"mount {name}: nothing is mounted at {where}")
    (STATE / f"{name}.active").touch()


def start_service(name, unit):
    for required in setting(unit, "Unit", "Requires").split():
        start(required)
    for entry in " ".join(unit.get("Service", {}).get("ReadWritePaths", [])).split():
        if not entry.startswith("-") and not Path(entry).exists():
            raise SystemExit(f"{name}: ReadWritePaths {entry} does not exist (status=226/NAMESPACE)")
    line = setting(unit, "Service", "ExecStart")
    may_fail = line.startswith("-")
    # systemd's escapes: %% is %, $$ is $ (no other specifiers are used by our units).
    command = shlex.split(line.lstrip("-@+!").replace("%%", "%").replace("$$", "$"))
    env = environment_of(unit)
    if setting(unit, "Service", "Type") == "oneshot":
        result = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if result.returncode != 0 and not may_fail:
            raise SystemExit(f"{name}: ExecStart exited {result.returncode}")
        if setting(unit, "Service", "RemainAfterExit") in ("true", "yes"):
            (STATE / f"{name}.active").touch()
        return
    output = setting(unit, "Service", "StandardOutput")
    user, group = setting(unit, "Service", "User"), setting(unit, "Service", "Group")
    child = os.fork()
    if child == 0:
        os.setsid()
        if os.fork() != 0:
            os._exit(0)
        log = os.open(output.split(":", 1)[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640) if output.startswith("append:") else os.open("/dev/null", os.O_WRONLY)
        null = os.open("/dev/null", os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        (STATE / f"{name}.pid").write_text(str(os.getpid()))
        if group:
            os.setgid(grp.getgrnam(group).gr_gid)
        if user:
            os.initgroups(user, pwd.getpwnam(user).pw_gid)
            os.setuid(pwd.getpwnam(user).pw_uid)
        os.chdir(env.get("HOME", "/"))
        os.execve(command[0], command, env)
    os.waitpid(child, 0)
    for _ in range(50):
        if pid_of(name):
            return
        time.sleep(0.1)
    raise SystemExit(f"{name}: the process did not start")


def start(name):
    if is_active(name):
        return
    unit = unit_file(name)
    if unit is None:
        raise SystemExit(f"Unit {name} not found.")
    (start_mount if name.endswith(".mount") else start_service)(name, unit)


def stop(name):
    pid = pid_of(name)
    (STATE / f"{name}.active").unlink(missing_ok=True)
    if pid:
        os.kill(pid, signal.SIGTERM)
        for _ in range(300):
            if pid_of(name) is None:
                break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)
    (STATE / f"{name}.pid").unlink(missing_ok=True)


def show(name):
    unit = unit_file(name)
    state = "loaded" if unit is not None else "not-found"
    active = "active" if is_active(name) else "inactive"
    enabled = "enabled" if (STATE / f"{name}.enabled").exists() else "disabled"
    print(f"Id={name}\nNames={name}\nLoadState={state}\nActiveState={active}\nSubState={'running' if active == 'active' else 'dead'}\nUnitFileState={enabled}\nMainPID={pid_of(name) or 0}")


def main(argv):
    words = [word for word in argv if not word.startswith("-")]
    if not words:
        raise SystemExit("systemctl stand-in: no verb")
    # systemctl's own rule: a name without a unit type is a service.
    verb, units = words[0], [unit if "." in unit else unit + ".service" for unit in (word.strip("'") for word in words[1:])]
    STATE.mkdir(parents=True, exist_ok=True)
    if verb == "daemon-reload":
        return 0
    if verb == "show":
        for unit in units:
            show(unit)
        return 0
    if verb == "is-enabled":
        return 0 if all((STATE / f"{unit}.enabled").exists() for unit in units) else 1
    if verb == "is-active":
        return 0 if all(is_active(unit) for unit in units) else 3
    actions = {
        "enable": lambda unit: (STATE / f"{unit}.enabled").touch(),
        "disable": lambda unit: (STATE / f"{unit}.enabled").unlink(missing_ok=True),
        "start": start,
        "stop": stop,
        "restart": lambda unit: (stop(unit), start(unit)),
    }
    if verb not in actions:
        raise SystemExit(f"systemctl stand-in: {verb} is not rehearsed")
    for unit in units:
        actions[verb](unit)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
