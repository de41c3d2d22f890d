/* Minimal Cortex-M startup: vector table, .data/.bss set-up, FPU on. */
#include <stdint.h>

extern uint32_t _estack, _sidata, _sdata, _edata, _sbss, _ebss;
int main(void);
void SysTick_Handler(void);
void semihost_exit(int success);

void Reset_Handler(void) {
  const uint32_t *src = &_sidata;
  for (uint32_t *dst = &_sdata; dst < &_edata;) *dst++ = *src++;
  for (uint32_t *dst = &_sbss; dst < &_ebss;) *dst++ = 0;
#ifdef __ARM_FP
  /* The library is built for the hard-float ABI: enable CP10/CP11. */
  *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
#endif
  semihost_exit(main() == 0);
  for (;;) {
  }
}

static void Fault_Handler(void) {
  semihost_exit(0);
  for (;;) {
  }
}

typedef void (*handler_t)(void);

__attribute__((section(".vectors"), used)) static const handler_t vectors[16] = {
    (handler_t)(uintptr_t)&_estack, /* initial stack pointer */
    Reset_Handler,
    Fault_Handler, /* NMI */
    Fault_Handler, /* HardFault */
    Fault_Handler, /* MemManage */
    Fault_Handler, /* BusFault */
    Fault_Handler, /* UsageFault */
    0, 0, 0, 0,
    Fault_Handler, /* SVCall */
    Fault_Handler, /* DebugMon */
    0,
    Fault_Handler, /* PendSV */
    SysTick_Handler,
};
