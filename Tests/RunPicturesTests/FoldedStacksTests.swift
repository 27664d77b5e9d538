import Foundation
import RunPictures
import Testing

@Suite("Stack maps of real bpftrace output as folded stacks")
struct FoldedStacksTests {
    @Test("cpu-profile's @cpu_samples, all intervals summed: command, user frames, kernel frames _[k], byte for byte")
    func cpuProfile() throws {
        let scanner = try PictureFixtures.scan("cpu-profile.ndjson")
        #expect(scanner.stackMaps.map(\.map) == ["@cpu_samples"])
        let profile = try #require(scanner.stackMaps.first)
        let kernelRead =
            "entry_SYSCALL_64_after_hwframe_[k];do_syscall_64_[k];ksys_read_[k];vfs_read_[k];seq_read_[k];seq_read_iter_[k];t_show_[k];seq_printf_[k]"
        let fault = "asm_exc_page_fault_[k];exc_page_fault_[k];handle_mm_fault_[k];__handle_mm_fault_[k]"
        let grow =
            "llvm::DenseMap<llvm::Value const*, unsigned int, llvm::DenseMapInfo<llvm::Value const*, void>, "
            + "llvm::detail::DenseMapPair<llvm::Value const*, unsigned int> >::grow(unsigned int)"
        let expected = """
            bash;0x30;0x55eda2749cd9 2
            bash;0x55eda272e6d5 2
            bash;0x55edc04071e0;hash_search 2
            bash;__GI___libc_malloc 3
            bash;__strcmp_evex 2
            bash;__strcpy_evex 1
            bash;__strlen_evex 2
            bash;_int_free 1
            bash;execute_command_internal 5
            bash;stupidly_hack_special_variables 2
            bpftrace;__libc_read;\(kernelRead) 2
            swift-frontend;\(grow);\(fault);do_anonymous_page_[k];__pte_offset_map_lock_[k] 1
            swift-frontend;swift::DeclContext::getSelfProtocolDecl() const 1
            swiftc;0x7f5e359f3b78;0x7f5e359f334f;0x7f5e359f6e39;0x7f5e359e72bc;\(fault);do_fault_[k];__mem_cgroup_charge_[k];charge_memcg_[k] 1

            """
        #expect(FoldedStacks.text(of: profile) == expected)
        #expect(profile.total == 27 && profile.unit == .samples && scanner.skippedLines == 0)
    }

    @Test("Keys that bpftrace printed twice in one map (stacks alike once symbolised) are both counted")
    func duplicateKeys() throws {
        let bytes = try PictureFixtures.bytes("cpu-profile-duplicate-keys.ndjson")
        let text = String(decoding: bytes, as: UTF8.self)
        // Every value of every map line, duplicates included.
        let values = text.split(separator: "\n").filter { $0.hasPrefix(#"{"type": "map""#) }.flatMap { line in
            line.matches(of: /": (\d+)[,}]/).map { Int64($0.output.1)! }
        }
        // What a reader into a dictionary sees: one of each duplicate.
        struct MapPrint: Decodable { let data: [String: [String: Int64]] }
        let dictionarySum = try text.split(separator: "\n").filter { $0.hasPrefix(#"{"type": "map""#) }.reduce(Int64(0)) { sum, line in
            sum + (try JSONDecoder().decode(MapPrint.self, from: Data(line.utf8)).data["@cpu_samples"] ?? [:]).values.reduce(0, +)
        }
        let profile = try #require(PictureFixtures.scan(bytes: bytes).stackMaps.first)
        #expect(profile.total == values.reduce(0, +))
        #expect(profile.total > dictionarySum)
        #expect(FoldedStacks.text(of: profile).contains("dpkg-deb;__memmove_avx512_unaligned_erms 13\n"))
        #expect(PictureFixtures.sum(ofFolded: FoldedStacks.text(of: profile)) == profile.total)
    }

    @Test("off-cpu's @offcpu_us (PID,TID,USTACK,KSTACK,COMM): microseconds summed, read by the same rules")
    func offCPU() throws {
        let scanner = try PictureFixtures.scan("off-cpu.ndjson")
        let profile = try #require(scanner.stackMaps.first)
        #expect(profile.map == "@offcpu_us" && profile.unit == .microseconds)
        let folded = FoldedStacks.text(of: profile)
        #expect(
            folded.contains(
                "fake-tracer-sle;wait4;entry_SYSCALL_64_after_hwframe_[k];do_syscall_64_[k];__do_sys_wait4_[k];kernel_wait4_[k];do_wait_[k];schedule_[k];__schedule_[k] "
            )
        )
        #expect(PictureFixtures.sum(ofFolded: folded) == profile.total && profile.total > 1_000_000)
    }

    @Test("Any map keyed by stacks: @[kstack], @[ustack], @[ustack, kstack] (the second marked kernel), @[comm, kstack]")
    func genericKeys() throws {
        let scanner = try PictureFixtures.scan("generic-stack-keys.ndjson")
        #expect(scanner.stackMaps.map(\.map) == ["@k", "@u", "@uk", "@ck"])
        let userKernel = FoldedStacks.text(of: scanner.stackMaps[2])
        #expect(userKernel.contains("make_bare_word;xmalloc;asm_exc_int3_[k];irqentry_exit_to_user_mode_[k];"))
        // An empty user stack leaves one stack, which the JSON does not say is the kernel's.
        #expect(userKernel.contains("ret_from_fork_asm;ret_from_fork;kthread;worker_thread;"))
        #expect(FoldedStacks.text(of: scanner.stackMaps[1]) == "[empty stack] 29\n__libc_read 12\n")
        // Plain values (the command) are left out of a map the catalogue does not define.
        #expect(FoldedStacks.text(of: scanner.stackMaps[3]).hasPrefix("[empty stack] 34\nentry_SYSCALL_64_after_hwframe;"))
    }

    @Test("Past the bound of distinct stacks, further stacks are counted as [other stacks]; the total stays whole")
    func bounded() throws {
        var limits = RunStreamScanner.Limits()
        limits.maxStacks = 3
        let profile = try #require(try PictureFixtures.scan("cpu-profile.ndjson", limits: limits).stackMaps.first)
        #expect(profile.total == 27 && profile.totals.count == 4 && profile.overflowed > 0)
        #expect(FoldedStacks.text(of: profile).contains("[other stacks] \(profile.overflowed)\n"))
        limits = .init()
        limits.maxLineBytes = 600
        let skipping = try PictureFixtures.scan("cpu-profile.ndjson", limits: limits)
        #expect(skipping.skippedLines == 2 && skipping.stackMaps.isEmpty)
    }

    @Test("A ; inside a symbol becomes :, offsets are dropped, bare addresses kept")
    func frameNames() throws {
        let line = #"{"type": "map", "data": {"@cpu_samples": {"7,\n    a;b+12\n    0x7f00+3\n,\n    k+31\n,c;md": 4}}}"# + "\n"
        let profile = try #require(PictureFixtures.scan(bytes: Array(line.utf8)).stackMaps.first)
        #expect(FoldedStacks.text(of: profile) == "c:md;0x7f00+3;a:b;k_[k] 4\n")
    }
}
