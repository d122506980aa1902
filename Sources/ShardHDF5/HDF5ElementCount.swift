#if canImport(Glibc)
import Glibc
#endif

/// How many elements a dataspace of `dimensions` holds, refused (as a corrupt file) when the
/// product overflows or when `bytesEach` per element would need more than half the machine's
/// memory: a crafted header must not make a reader allocate without bound, which aborts the
/// process instead of failing with a message.
func elementCount(_ dimensions: [Int], bytesEach: Int, file: String, object: String) throws(HDF5Error) -> Int {
    var count = 1
    for dimension in dimensions {
        let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
        guard !overflow, dimension >= 0 else {
            throw .corrupt(file: file, object: object, message: "its dimensions \(dimensions) overflow")
        }
        count = product
    }
    let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
    let memory = pages > 0 && pageSize > 0 ? pages.multipliedReportingOverflow(by: pageSize).partialValue : Int.max
    let (bytes, overflow) = count.multipliedReportingOverflow(by: max(bytesEach, 1))
    guard !overflow, bytes <= memory / 2 else {
        throw .corrupt(file: file, object: object,
                       message: "its dimensions \(dimensions) describe more data than this machine's memory holds")
    }
    return count
}
