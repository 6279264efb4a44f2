#!/bin/sh
# tests/e2e/podman-shim.sh — lets the e2e suite run against podman (the reference) to check
# that its expectations are podman's:
#   HUTCH_E2E_BINARY=$PWD/tests/e2e/podman-shim.sh build/tests/test_e2e
# podman reads $HOME/.config/containers/registries.conf (the sandbox writes it there);
# runc because crun refuses this hybrid cgroup host; vfs storage inside --root.
exec podman --runtime runc --cgroup-manager cgroupfs --storage-driver vfs "$@"
