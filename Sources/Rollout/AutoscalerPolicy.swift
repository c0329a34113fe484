/// An autoscaler's `autoscalingPolicy` (CPU signal only), with GCE's defaults.
public struct AutoscalerPolicy: Sendable, Equatable {
    /// `ON` scales both ways; `OFF` never changes the size but still reports a recommendation;
    /// `ONLY_SCALE_OUT` (and its older alias `ONLY_UP`) only adds instances.
    public enum Mode: String, Sendable, Equatable, CaseIterable {
        case on = "ON"
        case off = "OFF"
        case onlyScaleOut = "ONLY_SCALE_OUT"
        case onlyUp = "ONLY_UP"

        /// Whether the autoscaler may grow the group.
        public var scalesOut: Bool { self != .off }
        /// Whether the autoscaler may shrink the group.
        public var scalesIn: Bool { self == .on }
    }

    /// Limits how fast the group shrinks: at most `maxScaledInReplicas` below the largest size the
    /// group had within the last `timeWindowSec` seconds.
    public struct ScaleInControl: Sendable, Equatable {
        public var maxScaledInReplicas: FixedOrPercent
        public var timeWindowSec: Double

        public init(maxScaledInReplicas: FixedOrPercent, timeWindowSec: Double) {
            self.maxScaledInReplicas = maxScaledInReplicas
            self.timeWindowSec = timeWindowSec
        }
    }

    /// The smallest size the autoscaler sets (≥ 0).
    public var minNumReplicas: Int
    /// The largest size the autoscaler sets (≥ `minNumReplicas`).
    public var maxNumReplicas: Int
    /// The initialization period: an instance's utilization is ignored until it has run this long.
    /// GCE default 60.
    public var coolDownPeriodSec: Double
    /// `cpuUtilization.utilizationTarget`, in (0, 1]. GCE default 0.6.
    public var cpuUtilizationTarget: Double
    public var mode: Mode
    public var scaleInControl: ScaleInControl?
    /// `stabilizationPeriodSec`: the group shrinks only to the largest size recommended within this
    /// many seconds. GCE default 600; shorter values are for tests.
    public var stabilizationPeriodSec: Double

    public init(
        minNumReplicas: Int = 1,
        maxNumReplicas: Int,
        coolDownPeriodSec: Double = 60,
        cpuUtilizationTarget: Double = 0.6,
        mode: Mode = .on,
        scaleInControl: ScaleInControl? = nil,
        stabilizationPeriodSec: Double = 600
    ) {
        self.minNumReplicas = minNumReplicas
        self.maxNumReplicas = maxNumReplicas
        self.coolDownPeriodSec = coolDownPeriodSec
        self.cpuUtilizationTarget = cpuUtilizationTarget
        self.mode = mode
        self.scaleInControl = scaleInControl
        self.stabilizationPeriodSec = stabilizationPeriodSec
    }

    /// The reasons GCE would reject this policy; empty when it is acceptable.
    public func validate() -> [PolicyViolation] {
        var problems: [PolicyViolation] = []
        if minNumReplicas < 0 {
            problems.append(.outOfRange(field: "autoscalingPolicy.minNumReplicas", reason: "must not be negative"))
        }
        if maxNumReplicas < minNumReplicas {
            problems.append(.outOfRange(field: "autoscalingPolicy.maxNumReplicas", reason: "must not be lower than minNumReplicas"))
        }
        if !(cpuUtilizationTarget > 0 && cpuUtilizationTarget <= 1) {
            problems.append(.outOfRange(field: "autoscalingPolicy.cpuUtilization.utilizationTarget", reason: "must be in (0, 1]"))
        }
        if coolDownPeriodSec < 0 {
            problems.append(.outOfRange(field: "autoscalingPolicy.coolDownPeriodSec", reason: "must not be negative"))
        }
        if stabilizationPeriodSec < 0 {
            problems.append(.outOfRange(field: "autoscalingPolicy.stabilizationPeriodSec", reason: "must not be negative"))
        }
        if let control = scaleInControl {
            switch control.maxScaledInReplicas {
            case .fixed(let n) where n < 0:
                problems.append(.negativeFixed(field: "autoscalingPolicy.scaleInControl.maxScaledInReplicas", value: n))
            case .percent(let p) where p < 0 || p > 100:
                problems.append(.percentOutOfRange(field: "autoscalingPolicy.scaleInControl.maxScaledInReplicas", percent: p))
            default:
                break
            }
            if control.timeWindowSec < 0 {
                problems.append(.outOfRange(field: "autoscalingPolicy.scaleInControl.timeWindowSec", reason: "must not be negative"))
            }
        }
        return problems
    }
}
