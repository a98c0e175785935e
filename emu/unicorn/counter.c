/* Native helper for the Unicorn engine: an instruction-counting code hook.
 *
 * kdemu's budgets and virtual time depend on an exact count of executed instructions, identical on every
 * engine. A JavaScript hook per instruction would be ruinously slow, so this C hook (a few nanoseconds per
 * instruction) increments a 64-bit counter that the engine reads after each run. Built by scripts/setup.sh
 * with the system C compiler; Unicorn's headers are not needed, the hook signature is plain C. */
#include <stdint.h>

static void kdemu_count_instruction(void *uc, uint64_t address, uint32_t size, void *user_data) {
    (void)uc; (void)address; (void)size;
    ++*(uint64_t *)user_data;
}

/* The hook's address, to be passed to uc_hook_add(UC_HOOK_CODE) with a pointer to a uint64_t counter. */
void *kdemu_count_hook(void) { return (void *)kdemu_count_instruction; }
