tickguard_probe_compare_exchange:
movq %rcx, %r9
movq %rsi, %rax
movq %rdi, %rsi
movq %r8, %rcx
xchgq %rbx, %r9
lock cmpxchg16b (%rsi)
movq %r9, %rbx
sete %cl
testb %cl, %cl
setne %al
retq

tickguard_probe_load:
vmovdqa (%rdi), %xmm0
vmovq %xmm0, %rax
vpextrq $1, %xmm0, %rdx
retq

tickguard_probe_store:
movq %rdx, %rcx
movq %rsi, %r8
movq %rdi, %rsi
movq %r8, %rdi
xorl %edx, %edx
xorl %eax, %eax
xchgq %rbx, %rdi
lock cmpxchg16b (%rsi)
movq %rdi, %rbx
sete %r9b
testb %r9b, %r9b
jne .LBB_3
.LBB_1:
movq %r8, %rdi
xchgq %rbx, %rdi
lock cmpxchg16b (%rsi)
movq %rdi, %rbx
sete %r9b
testb %r9b, %r9b
je .LBB_1
.LBB_3:
retq

