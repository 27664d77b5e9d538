extension Analysis {
    /// `sock:inet_sock_set_state` fires for every TCP state change, often in softirq
    /// context: pid and comm are then whoever was on the CPU (a `ksoftirqd`, or another
    /// process), not the socket's owner, and a targeted run misses those changes. Ports
    /// are cast to 64 bits: a tuple mixing 16-bit fields and addresses makes bpftrace 0.17
    /// print "Struct offset mismatch" on stderr.
    public static let tcp = Analysis(
        name: "tcp",
        description: "TCP state changes: addresses, ports, old and new state.",
        parameters: [
            AnalysisParameter(
                name: "family",
                kind: .enumeration(default: "all", values: ["all", "ipv4", "ipv6"]),
                description: "Which address family to show."
            )
        ],
        output: """
            ["tcp", nsecs, pid, comm, family, saddr, sport, daddr, dport, oldstate, newstate] for each change: family \
            4 or 6, addresses as text, states by name (ESTABLISHED, SYN_SENT, SYN_RECV, FIN_WAIT1, FIN_WAIT2, TIME_WAIT, \
            CLOSE, CLOSE_WAIT, LAST_ACK, LISTEN, CLOSING, NEW_SYN_RECV); pid and comm are the task on the CPU, often not \
            the socket's owner; ["end", nsecs] at the end.
            """,
        requirements: AnalysisRequirements(tracepoints: [Tracepoint("sock", "inet_sock_set_state")]),
        program: { values, scope in
            let family = values.text("family")
            let families = [("ipv4", 4, 2, "saddr", "daddr"), ("ipv6", 6, 10, "saddr_v6", "daddr_v6")].filter { family == "all" || family == $0.0 }
            return AnalysisProgram(
                setup: tcpStateNames.enumerated().map { "@tcp_states[\($0.offset + 1)] = \"\($0.element)\";" },
                probes: families.map { _, version, addressFamily, source, destination in
                    .init(
                        "tracepoint:sock:inet_sock_set_state",
                        when: "args->protocol == 6 && args->family == \(addressFamily)",
                        "print((\"tcp\", nsecs, pid, comm, \(version), ntop(args->\(source)), (uint64)args->sport, ntop(args->\(destination)), "
                            + "(uint64)args->dport, @tcp_states[args->oldstate], @tcp_states[args->newstate]\(scope.eventSuffix)));"
                    )
                },
                scratchMaps: ["@tcp_states"]
            )
        }
    )

    /// The kernel's TCP states 1 to 12 (`include/net/tcp_states.h`), without `TCP_`.
    static let tcpStateNames = [
        "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN",
        "CLOSING", "NEW_SYN_RECV",
    ]
}
