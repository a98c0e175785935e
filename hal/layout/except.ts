// Exception structures: EXCEPTION_RECORD, CONTEXT (the general registers; the floating-point areas are left zero),
// DISPATCHER_CONTEXT (x64) and x86's EXCEPTION_REGISTRATION_RECORD, at winnt.h's offsets for each architecture.

export const EXCEPTION_RECORD = {
  x64: { size: 0x98, ExceptionCode: 0, ExceptionFlags: 4, ExceptionRecord: 8, ExceptionAddress: 0x10, NumberParameters: 0x18, ExceptionInformation: 0x20 },
  x86: { size: 0x50, ExceptionCode: 0, ExceptionFlags: 4, ExceptionRecord: 8, ExceptionAddress: 0x0c, NumberParameters: 0x10, ExceptionInformation: 0x14 },
} as const;

/** EXCEPTION_MAXIMUM_PARAMETERS. */
export const EXCEPTION_MAXIMUM_PARAMETERS = 15;

/** The general registers in x64's CONTEXT, in the order of the unwind codes' register numbers (Rax ... R15). */
export const CONTEXT_X64 = {
  size: 0x4d0,
  ContextFlags: 0x30,
  MxCsr: 0x34,
  SegCs: 0x38,
  SegDs: 0x3a,
  SegEs: 0x3c,
  SegFs: 0x3e,
  SegGs: 0x40,
  SegSs: 0x42,
  EFlags: 0x44,
  /** Rax at 0x78, then Rcx, Rdx, Rbx, Rsp, Rbp, Rsi, Rdi, R8 ... R15, 8 bytes apart. */
  Rax: 0x78,
  Rip: 0xf8,
  /** FltSave (XMM_SAVE_AREA32), whose MxCsr is at +0x18; Xmm0 at +0xa0. */
  FltSave: 0x100,
} as const;

/** x86's CONTEXT: CONTEXT_i386 | CONTROL | INTEGER | SEGMENTS. */
export const CONTEXT_X86 = {
  size: 0x2cc,
  ContextFlags: 0,
  SegGs: 0x8c,
  SegFs: 0x90,
  SegEs: 0x94,
  SegDs: 0x98,
  Edi: 0x9c,
  Esi: 0xa0,
  Ebx: 0xa4,
  Edx: 0xa8,
  Ecx: 0xac,
  Eax: 0xb0,
  Ebp: 0xb4,
  Eip: 0xb8,
  SegCs: 0xbc,
  EFlags: 0xc0,
  Esp: 0xc4,
  SegSs: 0xc8,
} as const;

/** CONTEXT_AMD64 | CONTROL | INTEGER | SEGMENTS | FLOATING_POINT (CONTEXT_FULL | SEGMENTS). */
export const CONTEXT_FLAGS_X64 = 0x10001f;
/** CONTEXT_i386 | CONTROL | INTEGER | SEGMENTS. */
export const CONTEXT_FLAGS_X86 = 0x10007;

export const DISPATCHER_CONTEXT = {
  size: 0x50,
  ControlPc: 0,
  ImageBase: 8,
  FunctionEntry: 0x10,
  EstablisherFrame: 0x18,
  TargetIp: 0x20,
  ContextRecord: 0x28,
  LanguageHandler: 0x30,
  HandlerData: 0x38,
  HistoryTable: 0x40,
  ScopeIndex: 0x48,
  Fill0: 0x4c,
} as const;

/** x86 EXCEPTION_REGISTRATION_RECORD { Next; Handler }, and the _except_handler3 frame around it (MSVC's EH3 layout). */
export const EXCEPTION_REGISTRATION = { size: 8, Next: 0, Handler: 4, ScopeTable: 8, TryLevel: 12, SavedEsp: -8, ExceptionPointers: -4 } as const;
