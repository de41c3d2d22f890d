tickguard_probe_compare_exchange:
pushq %r15
pushq %r14
pushq %r13
pushq %r12
pushq %rbx
subq $32, %rsp
movq %rcx, %rbx
movq %rsi, %r14
movq _ZN9tickguard4cell6x86_643CPU17hE@GOTPCREL(%rip), %rax
movzbl (%rax), %eax
testb %al, %al
je .LBB_1
testb $2, %al
je .LBB_3
.LBB_4:
movq %rdi, %rsi
movq %r8, %rcx
movq %r14, %rax
xchgq %rbx, %rbx
lock cmpxchg16b (%rsi)
movq %rbx, %rbx
sete %cl
testb %cl, %cl
setne %al
.LBB_5:
addq $32, %rsp
popq %rbx
popq %r12
popq %r13
popq %r14
popq %r15
retq
.LBB_1:
movq %r8, %r15
movq %rdx, %r13
movq %rdi, %r12
callq *_ZN9tickguard4cell6x86_649check_cpu17hE@GOTPCREL(%rip)
movq %r12, %rdi
movq %r13, %rdx
movq %r15, %r8
testb $2, %al
jne .LBB_4
.LBB_3:
movq %rsp, %rax
movq %rdi, %rsi
movq %rax, %rdi
movq %rdx, %rcx
movq %r14, %rdx
movq %r8, %r9
movq %rbx, %r8
callq *_ZN9tickguard4cell6x86_649Atomic12823compare_exchange_locked17hE@GOTPCREL(%rip)
movq (%rsp), %rax
orq 8(%rsp), %rax
sete %al
jmp .LBB_5

tickguard_probe_load:
pushq %rbx
movq _ZN9tickguard4cell6x86_643CPU17hE@GOTPCREL(%rip), %rax
movzbl (%rax), %eax
testb %al, %al
je .LBB_1
testb $4, %al
je .LBB_4
.LBB_3:
vmovdqa (%rdi), %xmm0
vmovq %xmm0, %rax
vpextrq $1, %xmm0, %rdx
popq %rbx
retq
.LBB_1:
movq %rdi, %rbx
callq *_ZN9tickguard4cell6x86_649check_cpu17hE@GOTPCREL(%rip)
movq %rbx, %rdi
testb $4, %al
jne .LBB_3
.LBB_4:
movzbl %al, %esi
popq %rbx
jmpq *_ZN9tickguard4cell6x86_649Atomic12813load_elsewise17hE@GOTPCREL(%rip)

tickguard_probe_store:
pushq %r15
pushq %r14
pushq %rbx
movq %rdx, %rbx
movq %rsi, %r14
movq %rdi, %r15
movq _ZN9tickguard4cell6x86_643CPU17hE@GOTPCREL(%rip), %rax
movzbl (%rax), %eax
testb %al, %al
je .LBB_1
testb $2, %al
jne .LBB_3
.LBB_7:
movq _ZN15portable_atomic3imp9atomic1286x86_6412atomic_store4FUNC17hE@GOTPCREL(%rip), %rax
movq (%rax), %rax
movq %r15, %rdi
movq %r14, %rsi
movq %rbx, %rdx
popq %rbx
popq %r14
popq %r15
jmpq *%rax
.LBB_1:
callq *_ZN9tickguard4cell6x86_649check_cpu17hE@GOTPCREL(%rip)
testb $2, %al
je .LBB_7
.LBB_3:
movq %r14, %rdi
movq %r15, %rsi
movq %rbx, %rcx
xorl %edx, %edx
xorl %eax, %eax
xchgq %rbx, %rdi
lock cmpxchg16b (%rsi)
movq %rdi, %rbx
sete %cl
testb %cl, %cl
jne .LBB_6
.LBB_4:
movq %r14, %rdi
movq %r15, %rsi
movq %rbx, %rcx
xchgq %rbx, %rdi
lock cmpxchg16b (%rsi)
movq %rdi, %rbx
sete %cl
testb %cl, %cl
je .LBB_4
.LBB_6:
popq %rbx
popq %r14
popq %r15
retq

