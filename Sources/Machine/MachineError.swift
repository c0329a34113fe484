import SortieSupport

/// Why a virtual machine could not be started, probed or stopped.
public typealias MachineError = UserError
