"""The trained network in the forms the next steps read, all with one input `features`
[1, input_dim] float32 (standardised) and one output, its reconstruction:

- `model.pt2`: torch.export's ExportedProgram, which the ExecuTorch export lowers;
- `model.onnx`: torch.onnx (the dynamo exporter, onnxscript);
- `model.tflite`: written here with the TFLite flatbuffer schema (the `tflite` package's
  generated builders and `flatbuffers`): the network is Linear and ReLU only, which is
  TFLite's FULLY_CONNECTED op with a fused activation, so its weights are written as they
  are. The PyPI converters need TensorFlow (ai-edge-torch / litert-torch pin other torch
  versions than executorch 1.5.1's; onnx2tf needs TensorFlow), about 600 MB that no
  other part of training uses.
"""
import numpy as np
import torch

INPUT_NAME = "features"
OUTPUT_NAME = "reconstruction"


def export_program(net, input_dim, path):
    net = net.eval()
    program = torch.export.export(net, (torch.zeros(1, input_dim),))
    torch.export.save(program, path)


def export_onnx(net, input_dim, path):
    net = net.eval()
    program = torch.onnx.export(net, (torch.zeros(1, input_dim),), dynamo=True, input_names=[INPUT_NAME], output_names=[OUTPUT_NAME], verbose=False)
    program.save(str(path))


def _aligned_bytes(builder, data, alignment=16):
    """A [ubyte] vector whose first byte is `alignment`-aligned (LiteRT maps weights in place)."""
    builder.StartVector(1, len(data), alignment)
    builder.head = builder.head - len(data)
    builder.Bytes[builder.head : builder.head + len(data)] = data
    return builder.EndVector()


def write_tflite(net, input_dim, path, description="dfp kronodroid autoencoder"):
    """A TFLite model of `net` (Linear/ReLU layers, batch 1): one FULLY_CONNECTED per Linear."""
    import flatbuffers
    import tflite as T  # the package exports every generated builder function and enum by its prefixed name

    layers = net.layers()
    b = flatbuffers.Builder(4096)

    # Buffers: 0 is the empty one every TFLite model starts with; then weight, bias per layer.
    blobs = [None]
    for linear, _relu in layers:
        blobs.append(linear.weight.detach().numpy().astype("<f4").tobytes())
        blobs.append(linear.bias.detach().numpy().astype("<f4").tobytes())
    data_offsets = [None if blob is None else _aligned_bytes(b, blob) for blob in blobs]
    buffers = []
    for offset in data_offsets:
        T.BufferStart(b)
        if offset is not None:
            T.BufferAddData(b, offset)
        buffers.append(T.BufferEnd(b))

    # Tensors: input, then per layer weight, bias, output.
    specs = [(INPUT_NAME, [1, input_dim], 0)]
    for i, (linear, _relu) in enumerate(layers):
        out_dim, in_dim = linear.weight.shape
        specs.append((f"layer{i}/weight", [out_dim, in_dim], 1 + 2 * i))
        specs.append((f"layer{i}/bias", [out_dim], 2 + 2 * i))
        specs.append((OUTPUT_NAME if i == len(layers) - 1 else f"layer{i}/output", [1, out_dim], 0))
    tensors = []
    for name, shape, buffer in specs:
        name_offset = b.CreateString(name)
        shape_offset = b.CreateNumpyVector(np.asarray(shape, dtype=np.int32))
        T.TensorStart(b)
        T.TensorAddShape(b, shape_offset)
        T.TensorAddType(b, T.TensorType.FLOAT32)
        T.TensorAddBuffer(b, buffer)
        T.TensorAddName(b, name_offset)
        tensors.append(T.TensorEnd(b))

    operators = []
    for i, (_linear, relu) in enumerate(layers):
        previous = 0 if i == 0 else 3 * i
        inputs = b.CreateNumpyVector(np.asarray([previous, 1 + 3 * i, 2 + 3 * i], dtype=np.int32))
        outputs = b.CreateNumpyVector(np.asarray([3 + 3 * i], dtype=np.int32))
        T.FullyConnectedOptionsStart(b)
        T.FullyConnectedOptionsAddFusedActivationFunction(
            b, T.ActivationFunctionType.RELU if relu else T.ActivationFunctionType.NONE
        )
        options = T.FullyConnectedOptionsEnd(b)
        T.OperatorStart(b)
        T.OperatorAddOpcodeIndex(b, 0)
        T.OperatorAddInputs(b, inputs)
        T.OperatorAddOutputs(b, outputs)
        T.OperatorAddBuiltinOptionsType(b, T.BuiltinOptions.FullyConnectedOptions)
        T.OperatorAddBuiltinOptions(b, options)
        operators.append(T.OperatorEnd(b))

    def vector(start, items):
        start(b, len(items))
        for item in reversed(items):
            b.PrependUOffsetTRelative(item)
        return b.EndVector()

    tensors_vec = vector(T.SubGraphStartTensorsVector, tensors)
    operators_vec = vector(T.SubGraphStartOperatorsVector, operators)
    sg_inputs = b.CreateNumpyVector(np.asarray([0], dtype=np.int32))
    sg_outputs = b.CreateNumpyVector(np.asarray([3 * len(layers)], dtype=np.int32))
    sg_name = b.CreateString("main")
    T.SubGraphStart(b)
    T.SubGraphAddTensors(b, tensors_vec)
    T.SubGraphAddInputs(b, sg_inputs)
    T.SubGraphAddOutputs(b, sg_outputs)
    T.SubGraphAddOperators(b, operators_vec)
    T.SubGraphAddName(b, sg_name)
    subgraph = T.SubGraphEnd(b)

    T.OperatorCodeStart(b)
    T.OperatorCodeAddDeprecatedBuiltinCode(b, T.BuiltinOperator.FULLY_CONNECTED)
    T.OperatorCodeAddBuiltinCode(b, T.BuiltinOperator.FULLY_CONNECTED)
    T.OperatorCodeAddVersion(b, 1)
    opcode = T.OperatorCodeEnd(b)

    opcodes_vec = vector(T.ModelStartOperatorCodesVector, [opcode])
    subgraphs_vec = vector(T.ModelStartSubgraphsVector, [subgraph])
    buffers_vec = vector(T.ModelStartBuffersVector, buffers)
    desc = b.CreateString(description)
    T.ModelStart(b)
    T.ModelAddVersion(b, 3)
    T.ModelAddOperatorCodes(b, opcodes_vec)
    T.ModelAddSubgraphs(b, subgraphs_vec)
    T.ModelAddDescription(b, desc)
    T.ModelAddBuffers(b, buffers_vec)
    model = T.ModelEnd(b)
    b.Finish(model, file_identifier=b"TFL3")
    with open(path, "wb") as f:
        f.write(b.Output())
