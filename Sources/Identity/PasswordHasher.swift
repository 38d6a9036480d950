import Crypto
import Dispatch
import Foundation
import HummingbirdBcrypt

/// bcrypt (HummingbirdBcrypt) on a Dispatch queue, off Swift's cooperative pool. Measured on this
/// project's 2-core machines (debug build): about 52 ms per hash at cost 10, 111 ms at 11, 208 ms
/// at 12. The cooperative pool has one thread per core, so hashing on it would stall every other
/// request on that thread for as long.
///
/// The password is first reduced to the base64 of its SHA-256, because bcrypt reads only the first
/// 72 bytes of its input while Cognito accepts passwords up to 256 characters; without this, two
/// long passwords sharing a 72-byte prefix would be the same password.
enum PasswordHasher {
    private static let queue = DispatchQueue(
        label: "cakap.identity.bcrypt", qos: .userInitiated, attributes: .concurrent)

    static func hash(_ password: String, cost: UInt8) async -> String {
        let input = prepared(password)
        return await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: Bcrypt.hash(input, cost: max(cost, 10))) }
        }
    }

    static func verify(_ password: String, hash: String) async -> Bool {
        let input = prepared(password)
        return await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: Bcrypt.verify(input, hash: hash)) }
        }
    }

    private static func prepared(_ password: String) -> String {
        Data(SHA256.hash(data: Data(password.utf8))).base64EncodedString()
    }
}
