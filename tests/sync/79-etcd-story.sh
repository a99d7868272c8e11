#!/bin/bash
# 79-etcd-story: 20-story on the etcd backend (STORY_BACKEND=etcd): three
# hosts made of network namespaces, one etcd on a fourth that the daemons
# reach over the namespaces' network, real Erlang and Elixir nodes that
# find, call and multicall each other through their local daemons; a dead
# host leaves when its lease runs out.  Skips without namespaces or etcd.
STORY_BACKEND=etcd exec bash "$(dirname "$0")/20-story.sh" "$@"
