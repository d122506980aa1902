#if canImport(Glibc)
import Glibc
#endif

/// The machine's memory, for checking a size before allocating it: an allocation the machine
/// cannot hold would abort the process instead of failing with a message.
public enum Memory {
    /// Physical memory in bytes (sysconf), or Int.max when it cannot be read.
    public static var physicalBytes: Int {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, size > 0 else { return Int.max }
        return pages.multipliedReportingOverflow(by: size).overflow ? Int.max : pages * size
    }

    /// `count` elements of `bytesEach`, or nil when the product overflows.
    public static func bytes(_ count: Int, each bytesEach: Int) -> Int? {
        let (product, overflow) = count.multipliedReportingOverflow(by: bytesEach)
        return overflow || count < 0 ? nil : product
    }

    /// The product of sizes (dimensions, element bytes), or nil when one is negative or the
    /// product overflows.
    public static func product(_ values: some Sequence<Int>) -> Int? {
        var result = 1
        for value in values {
            guard let next = bytes(result, each: value), value >= 0 else { return nil }
            result = next
        }
        return result
    }

    /// Whether `bytes` may be allocated for data and training: at most 80 % of the machine.
    public static func fits(_ bytes: Int) -> Bool { bytes <= physicalBytes / 10 * 8 }

    /// "3.2 GB", for messages.
    public static func describe(_ bytes: Int) -> String {
        let gigabytes = Double(bytes) / 1e9
        return gigabytes >= 1 ? "\((gigabytes * 10).rounded() / 10) GB" : "\(Int((Double(bytes) / 1e6).rounded())) MB"
    }
}
