"""The one test host of a `peers` run, from the environment bench/measure/peers.ts sets."""

import os

app = [
    (
        "host",
        {
            "ssh_hostname": "127.0.0.1",
            "ssh_port": int(os.environ["PEERS_SSH_PORT"]),
            "ssh_user": os.environ["PEERS_SSH_USER"],
            "ssh_key": os.environ["PEERS_SSH_KEY"],
            "ssh_strict_host_key_checking": "off",
            "ssh_known_hosts_file": "/dev/null",
            "_sudo": True,
        },
    )
]
