#!/usr/bin/env bash
# The etcd binary of the cluster end-to-end suite (make e2e): Debian's
# etcd-server (3.4.x, which kube-apiserver 1.34 accepts on loopback).
# Prints its path.
exec "$(dirname "$0")/ensure-debian-binary.sh" etcd etcd-server
