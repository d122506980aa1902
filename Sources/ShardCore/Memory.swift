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

    /// "3.2 GB", for messages.
    public static func describe(_ bytes: Int) -> String {
        let gigabytes = Double(bytes) / 1e9
        return gigabytes >= 1 ? "\((gigabytes * 10).rounded() / 10) GB" : "\(Int((Double(bytes) / 1e6).rounded())) MB"
    }
}
