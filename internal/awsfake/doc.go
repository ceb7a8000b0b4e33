// Package awsfake serves fakes of AWS APIs on loopback, for tests of code
// that calls AWS through aws-sdk-go-v2 where no AWS account is reachable.
//
// A fake speaks the API's real wire protocol (for EC2, the Query protocol:
// form-encoded requests, XML responses and error documents with the API's
// error codes), takes the region from the request's SigV4 credential scope,
// and keeps the state the API would: a copied image is pending, then
// available. The SDK's own serializers, deserializers and waiters run
// against it unchanged.
//
// It is not a simulator of AWS: it implements only the actions bulwark
// calls, with the parameters bulwark sends, and says so (InvalidAction) for
// anything else. It never signs or checks signatures.
package awsfake
