tickguard_probe_compare_exchange:
pushq %r15
pushq %r14
pushq %r13
pushq %r12
pushq %rbx
movq %r8, %r14
movq %rcx, %rbx
movq %rsi, %rax
movq _ZN9tickguard4cell6x86_643CPU17hE@GOTPCREL(%rip), %rcx
movzbl (%rcx), %ecx
testb %cl, %cl
je .LBB_1
.LBB_2:
movq %rdi, %rsi
movq %r14, %rcx
xchgq %rbx, %rbx
lock cmpxchg16b (%rsi)
movq %rbx, %rbx
sete %cl
testb %cl, %cl
setne %al
popq %rbx
popq %r12
popq %r13
popq %r14
popq %r15
retq
.LBB_1:
movq %rax, %r15
movq %rdx, %r13
movq %rdi, %r12
callq *_ZN9tickguard4cell6x86_649check_cpu17hE@GOTPCREL(%rip)
movq %r12, %rdi
movq %r13, %rdx
movq %r15, %rax
jmp .LBB_2

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
orb $2, %al
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
.LBB_2:
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
jne .LBB_5
.LBB_3:
movq %r14, %rdi
movq %r15, %rsi
movq %rbx, %rcx
xchgq %rbx, %rdi
lock cmpxchg16b (%rsi)
movq %rdi, %rbx
sete %cl
testb %cl, %cl
je .LBB_3
.LBB_5:
popq %rbx
popq %r14
popq %r15
retq
.LBB_1:
callq *_ZN9tickguard4cell6x86_649check_cpu17hE@GOTPCREL(%rip)
jmp .LBB_2

